# doc/: man pages and the architecture map.
dist_man_MANS += doc/tide.1 doc/tide.conf.5
