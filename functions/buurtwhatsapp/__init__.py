"""Sign-up backend of the Buurt WhatsApp neighbourhood-watch groups."""
