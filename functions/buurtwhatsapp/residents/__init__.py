"""A resident's journey: sign-up, confirm, added, leave (membership), and the scheduled
housekeeping (reminders, expiry)."""
