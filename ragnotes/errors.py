"""The errors ragnotes raises on purpose: the shared base here, the layer-bound ones with their layer.

    RagnotesError            a problem the user can fix; its message says how
    ├── ConfigError          a setting or argument is wrong (bad notes folder, unknown model)
    ├── IndexNotFound        no index has been built yet
    ├── IndexMismatch        the index was built with another model or chunker version
    ├── IndexCorrupt         the published build is unreadable
    ├── ReindexRunning       a re-index is already under way
    ├── BuildFailed          a build could not be written (disk full, permissions); live index untouched
    ├── NotFoundError        a requested document or job does not exist
    ├── SyncError            (corpus/sync.py) curated READMEs could not be fetched or copied
    ├── LLMError             (answers/llm.py) the LLM server behind generated answers failed; names its URL
    │   ├── LLMUnreachable   nothing answers at RAGNOTES_LLM_URL (HTTP 503)
    │   ├── LLMTimeout       it did not answer within RAGNOTES_LLM_TIMEOUT (HTTP 504)
    │   └── LLMBadReply      it answered with an error or something not OpenAI-shaped (HTTP 502)
    ├── Unauthorized         (service/http_errors.py) an admin request without the right bearer token
    └── AdminDisabled        (service/http_errors.py) an admin request while no admin token is configured

The errors defined here are raised or answered by more than one layer; those of one layer only
are defined in it: the README sync's in the corpus, the LLM's in the answer domain, the admin
routes' in HTTP. The HTTP layer maps them all to status codes
in one handler (service/http_errors.py) and the CLI prints them as one line (service/cli.py).
Anything else is a bug and may show a traceback.
"""

from __future__ import annotations


class RagnotesError(Exception):
    """A problem the user can fix; the message says how."""


class ConfigError(RagnotesError):
    """A setting or command-line argument is wrong."""


class IndexNotFound(RagnotesError):
    """No index has been built yet."""


class IndexMismatch(RagnotesError):
    """The index was built with another embedding model or chunker version."""


class IndexCorrupt(RagnotesError):
    """The published build cannot be read."""


class ReindexRunning(RagnotesError):
    """A re-index is already running."""


class BuildFailed(RagnotesError):
    """A build could not be written; the live index keeps serving."""


class NotFoundError(RagnotesError):
    """A requested document or job does not exist."""
