# helper/: the controller side — the `tide` CLI (and later tided).
