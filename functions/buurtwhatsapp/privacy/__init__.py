"""The AVG's requests on all the data at once: an erasure request for one person, and moving
every key to another pepper."""
