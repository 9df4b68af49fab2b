"""What every part uses and that knows no part: the clock, names, addresses and numbers
(contacts), keys made from them, signed links, settings from the environment, logging,
rendering, spreadsheet cells."""
