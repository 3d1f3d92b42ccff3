"""One module per group of operations: contacts, countries, media, messages, settings,
templates, webhooks."""
