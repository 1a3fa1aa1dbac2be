"""The 我的通知 part of the OpenAPI document (webui/api/notifications.py)."""

STR, INT = {"type": "string"}, {"type": "integer"}
DT = {"type": ["string", "null"], "format": "date-time"}


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


SCHEMAS = {
    "Notification": {"type": "object", "required": ["id", "subject", "created_at", "read"], "properties": {
        "id": INT, "subject": STR, "body": STR,
        "link": {"type": ["string", "null"], "description": "本站路径（如 /tasks/for/<实例 id>：本人在该事项上的待办，否则事项页）"},
        "created_at": DT, "read_at": DT, "read": {"type": "boolean"}}},
    "NotificationList": {"type": "object", "required": ["items", "total", "unread"], "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Notification"}},
        "total": {"type": "integer", "description": "符合条件的通知数"}, "page": INT, "per_page": INT,
        "unread": {"type": "integer", "description": "我的未读通知数"}}},
    "MarkReadRequest": {"type": "object", "properties": {
        "ids": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 200,
                "description": "要标为已读的通知 id（须均为本人的，否则 404 且不作任何标记；已读的保持不变）"},
        "all": {"const": True, "description": "true：全部标为已读（与 ids 二选一）"}}},
    "MarkReadResult": {"type": "object", "required": ["marked", "unread"], "properties": {
        "marked": {"type": "integer", "description": "本次新标为已读的通知数"},
        "unread": {"type": "integer", "description": "剩余未读数"}}},
}


def paths(op, page_params: list) -> dict:
    """The notification operations, built with openapi._op (passed in: this module does not import it back)."""
    return {
        "/notifications": {"get": op(
            "我的通知（新的在前，分页，含未读数）", "通知", ("200", "NotificationList", "通知列表"), "401 422",
            params=[_query("unread", "仅未读（1/true）", {"type": "boolean"}), *page_params])},
        "/notifications/read": {"post": op(
            "将我的通知标为已读（指定 ids 或 all: true）", "通知", ("200", "MarkReadResult", "已标记"),
            "400 401 404 422", body="MarkReadRequest")},
    }
