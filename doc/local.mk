# doc/: man pages and the architecture map.
dist_man_MANS += doc/tide.1 doc/tide.conf.5
# tided(8): the controller.
dist_man_MANS += doc/tided.8
