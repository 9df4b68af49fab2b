"""Everything that sends e-mail: the message, its rendering, the transports, the outbox."""
