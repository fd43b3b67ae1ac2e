# nodefeatures/: tide on the compute nodes — tide-node, the node_features/helpers Helper.
sbin_PROGRAMS += nodefeatures/tide-node
nodefeatures_tide_node_SOURCES = nodefeatures/tide-node.c
dist_man_MANS += doc/tide-node.8
