"""The process workbench: versions, BPMN/DMN editing, validation, diff, deploy, migration."""
