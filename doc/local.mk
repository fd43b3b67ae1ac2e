# doc/: man pages and the architecture map.
