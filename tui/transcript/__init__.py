"""The transcript: the session's messages and timeline, streamed answers, a window of entries."""
