"""The msgspec structs of the wire: outbound messages, resources, notifications."""
