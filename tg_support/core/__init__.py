"""The shared ground every feature stands on: settings-free building blocks only.

i18n (catalogs, the locale of this update), the Redis repository base and the profile and
group registry (``store``), the one sender (``sending``), queues and jobs, language
detection, text splitting, time zones, the Bot API HTTP client and logging. Nothing here
imports a feature package or a handler.
"""
