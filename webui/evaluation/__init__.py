"""Year-end evaluation (Art 14): the 评价与出库 hub, campaigns, 评价表."""
