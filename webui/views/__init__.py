"""UI and API blueprints; each module stays small and thin (validate, call one service, render)."""


def ui_bp_list():
    """Server-rendered UI blueprints."""
    from webui.views import applications, assignment, experts, incidents, instances, tasks, workbench, yearly

    return [tasks.bp, applications.bp, experts.bp, instances.bp, assignment.bp, yearly.bp, workbench.bp,
            incidents.bp]


def api_bp_list():
    """JSON API blueprints (token auth, CSRF-exempt)."""
    from webui.views import api, api_assignment

    return [api.bp, api_assignment.bp]
