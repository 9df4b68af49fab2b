"""Who coordinates: changing a group's coordinator or the regiegroep (changes, with the
handover), and the applications to become coordinator."""
