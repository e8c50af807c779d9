"""Download errors: a stable code for the API and a French message for people, caught at the edge."""


class DownloadError(Exception):
    """A request we refuse or a package we could not build; `http_status` is what the API answers."""

    def __init__(self, code: str, message: str, http_status: int = 400, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.details = details


class DownloadCancelled(Exception):
    """The job was cancelled while it ran."""
