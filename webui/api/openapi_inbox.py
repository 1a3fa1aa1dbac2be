"""The inbox part of the OpenAPI document: the task list's search, sort and page-size parameters, the cheap
count, follow-up dates and saved filters (webui/api/views.py list_tasks, webui/api/inbox.py)."""

from engine.core import inbox_filters
from engine.tasks import inbox_prefs

STR, INT = {"type": "string"}, {"type": "integer"}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or STR}


TASK_LIST_PARAMS = [
    _query("q", "检索：事项名称、申请人/专家姓名、完整身份证号（列表中脱敏显示）、单位、专家组、申请标题，空格分隔的词须同时出现"),
    _query("process_key", "按流程筛选（页面参数 process 亦可）"), _query("bpmn_id", "按环节筛选（页面参数 step 亦可）"),
    _query("overdue", "仅显示逾期（1/true）", {"type": "boolean"}),
    _query("unit_id", "按单位筛选（页面参数 unit 亦可）", {"type": "integer", "minimum": 1}),
    _query("claimed", "认领状态", {"enum": list(inbox_filters.CLAIMED)}),
    _query("follow_up", "我的跟进日期：set 已设置、due 今日及以前、today 今日", {"enum": list(inbox_filters.FOLLOW_UPS)}),
    _query("sort", "排序列，前缀 - 为降序", {"enum": list(inbox_filters.SORTS), "default": "created"}),
    _query("page", "页码，从 1 开始", {"type": "integer", "minimum": 1, "default": 1}),
    _query("per_page", "每页条数", {"enum": list(inbox_filters.PAGE_SIZES), "default": inbox_filters.DEFAULT_PAGE_SIZE}),
]

TASK_FIELDS = {
    "unit_name": {"type": ["string", "null"], "description": "事项所涉单位（申请人/专家的工作单位、用人单位）"},
    "id_number_masked": {"type": ["string", "null"], "description": "申请人/专家身份证号，仅显示前 4 位和后 4 位"},
    "follow_up_on": {"type": ["string", "null"], "format": "date", "description": "我的跟进日期（列表与任务详情）"},
}

FILTER_ID = {"name": "filter_id", "in": "path", "required": True, "description": "筛选 id（仅本人的，他人的 404）",
             "schema": INT}

SCHEMAS = {
    "TaskCount": {"type": "object", "required": ["total", "overdue", "follow_up_due"], "properties": {
        "total": INT, "overdue": INT, "follow_up_due": {"type": "integer", "description": "跟进日期已到（今日及以前）"}}},
    "FollowUpRequest": {"type": "object", "required": ["follow_up_on"], "properties": {
        "follow_up_on": {"type": "string", "format": "date", "description": "今日或以后，三年以内"}}},
    "FollowUp": {"type": "object", "required": ["task_id", "follow_up_on"], "properties": {
        "task_id": INT, "follow_up_on": {"type": ["string", "null"], "format": "date"}, "removed": {"type": "boolean"}}},
    "SavedFilterList": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
        "type": "object", "required": ["id", "name", "query", "count"], "properties": {
            "id": INT, "name": STR, "query": {"type": "string", "description": "待办页面的查询串（同本接口的参数）"},
            "count": {"type": "integer", "description": "当前匹配的待办数"}}}}}},
    "SavedFilter": {"type": "object", "required": ["id", "name", "query"], "properties": {
        "id": INT, "name": STR, "query": {"type": "string", "description": "保存后的查询串（规范顺序，默认值省略）"}}},
    "SavedFilterCreate": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "maxLength": inbox_prefs.MAX_NAME,
                 "description": f"筛选名称，本人唯一（重名 422），每人最多 {inbox_prefs.MAX_FILTERS} 个"},
        "query": {"type": "string", "description": "待办页面的查询串，如 q=张伟&sort=-due；条件名："
                  + "、".join(inbox_prefs.KEPT) + "（与 GET /tasks 相同的解析，未知条件或取值错误 422，page 忽略）"},
        "filter": {"type": "object", "additionalProperties": {"type": ["string", "integer", "boolean"]},
                   "description": "或以对象给出同样的条件（与 query 二选一）"}}},
    "SavedFilterRename": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "maxLength": inbox_prefs.MAX_NAME, "description": "新名称，本人唯一"}}},
    "SavedFilterDeleted": {"type": "object", "required": ["id", "deleted"], "properties": {
        "id": INT, "name": STR, "deleted": {"type": "boolean"}}},
}


def paths(op, task_id: dict) -> dict:
    """The inbox operations, built with openapi._op (passed in: this module does not import it back)."""
    return {
        "/tasks/count": {"get": op("待办计数（页面每 30 秒轮询的轻量接口）", "任务", ("200", "TaskCount", "待办、逾期、待跟进数"),
                                   "401")},
        "/tasks/{task_id}/follow-up": {
            "put": op("设置我的跟进日期（仅本人可见）", "任务", ("200", "FollowUp", "已设置"), "401 403 404 422",
                      params=[task_id], body="FollowUpRequest"),
            "delete": op("清除我的跟进日期", "任务", ("200", "FollowUp", "已清除（removed 表示原先是否设置）"),
                         "401 403 404", params=[task_id])},
        "/filters": {
            "get": op("我保存的待办筛选及其当前计数", "任务", ("200", "SavedFilterList", "筛选列表"), "401"),
            "post": op("保存待办筛选（名称 + 条件，与待办页面相同的校验和上限）", "任务", ("201", "SavedFilter", "已保存"),
                       "400 401 422", body="SavedFilterCreate")},
        "/filters/{filter_id}": {
            "patch": op("重命名我的筛选", "任务", ("200", "SavedFilter", "已改名"), "400 401 404 422",
                        params=[FILTER_ID], body="SavedFilterRename"),
            "delete": op("删除我的筛选", "任务", ("200", "SavedFilterDeleted", "已删除"), "401 404", params=[FILTER_ID])},
    }
