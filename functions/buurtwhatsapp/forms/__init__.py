"""The public forms' input: validation (every field's problem at once) and the
fences on mail to addresses nobody has confirmed."""
