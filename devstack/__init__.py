"""Local development stack: Firestore emulator harness and dev server helpers."""
