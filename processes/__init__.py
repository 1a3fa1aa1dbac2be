"""Shipped process definitions (BPMN, DMN and forms): data, installed with the product as package data.

Nothing here is code; engine.platform.settings.processes_dir() finds this folder (or EXPERTPOOL_PROCESSES_DIR).
"""
