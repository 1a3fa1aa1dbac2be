"""The OpenAPI 3.1 document of /api/v1, built as a plain dict (served by webui.api.views)."""

from engine.platform.policy import REQUEST_ACCESS
from webui.api import openapi_inbox, openapi_notifications

ERRORS = {
    "400": ("BadRequest", "请求有误：JSON 格式错误或请求体不是 JSON 对象"),
    "401": ("Unauthorized", "未认证：缺少令牌、令牌无效/过期，或用户名密码错误（连续 5 次失败锁定 15 分钟）"),
    "403": ("Forbidden", "无权访问：角色、单位或对象关系不允许"),
    "404": ("NotFound", "对象不存在"),
    "409": ("Conflict", "操作冲突：任务已办理、已被他人认领，或 lock_version 已过期"),
    "413": ("TooLarge", "上传内容超过 25 MB 的请求大小限制"),
    "422": ("Unprocessable", "提交内容有误：fields 给出每个字段的错误，未保存任何内容"),
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _obj(properties: dict, required: tuple = (), **extra) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def _page_of(item: str) -> dict:
    return _obj({"items": {"type": "array", "items": _ref(item)}, "total": {"type": "integer"},
                 "page": {"type": "integer"}, "per_page": {"type": "integer"}}, ("items", "total"))


STR, INT, BOOL, DT, DATE = ({"type": "string"}, {"type": "integer"}, {"type": "boolean"},
                            _nullable("string", format="date-time"), _nullable("string", format="date"))
OBJ = {"type": "object", "additionalProperties": True}
TASK_CONTEXT_TEXT = (
    "该任务所涉事项，与任务办理页面所示相同（按流程）：入库流程 application（推荐表，按权限脱敏）、attachments（附件）、"
    "correction（补正说明：退回环节 step、退回人 by、时间 at、意见 comment；仅补正任务）、prefill（补正表单初始值）；"
    "选派流程 request（用人申请）、unit_name、engagement 与 person（所涉专家，仅该项）、designated、history"
    "（该单位近一年指定选派）、usage_from；年度评价 evaluation_id、expert_name、year、rater_name、paper；其他流程为空对象")

ASSIGNMENT_SCHEMAS = {
    "WorkRequestCreate": _obj({
        "title": STR, "work_type": {"enum": ["spot_check", "post_license", "risk_monitoring", "quality_assistance",
                                             "institution_check", "legal_support", "public_opinion", "general"]},
        "group_code": STR, "n_experts": INT, "n_backups": INT, "backups_first": BOOL,
        "specialties": {"type": "string", "description": "多个专业用“、”分隔"},
        "region": {"type": "string", "description": "设区市名、平潭或省直；限定地区须填 region_reason"},
        "region_reason": STR, "start_date": {"type": "string", "format": "date"},
        "end_date": {"type": "string", "format": "date"}, "place": STR, "description": STR,
        "parties": {"type": "array", "items": _obj({"name": STR, "credit_code": STR}, ("name",)),
                    "description": "当事方（名称 + 18 位统一社会信用代码），用于回避筛查"},
        "method": {"enum": ["random", "designated", "external", "emergency"]}, "method_reason": STR,
        "designated_experts": {"type": "array", "items": STR, "description": "库内专家：#id、聘书编号或姓名"},
        "external_experts": {"type": "array", "items": _obj({"name": STR, "unit": STR, "contact": STR,
                                                             "specialty": STR}, ("name", "unit", "contact"))},
        "response_hours": INT}, ("title", "work_type", "group_code", "n_experts", "start_date", "end_date",
                                 "place", "method")),
    "WorkRequestPage": _obj({
        "request": OBJ, "access": {"enum": list(REQUEST_ACCESS),
                                   "description": "sealed：局领导/质量监督处，专家姓名与抽中名单密封"},
        "unit_name": STR, "engagements": {"type": "array", "items": OBJ},
        "draw": {"type": ["object", "null"], "description": "抽取记录：规则版本、轮次；full 访问者另含库内人数、候选哈希、"
                                                           "种子和完整记录 record（可离线复核）；其他访问者 sealed=true"},
        "exclusions": {"type": "array", "items": _obj({"round": INT, "expert_id": INT, "name": STR, "code": STR,
                                                       "reason": STR, "article": STR})},
        "open_tasks": {"type": "array", "items": INT}}, ("request", "access", "engagements")),
    "DrawVerification": _obj({
        "draw_id": INT, "request_id": INT, "match": BOOL, "sealed": BOOL, "problems": {"type": "array", "items": STR},
        "problem_count": {"type": "integer", "description": "sealed 访问者：差异条数（差异内容含专家编号，密封）"},
        "candidates": INT, "candidates_sha256": STR, "seed_hex": STR, "rules_version": STR, "rounds": INT,
        "checkpoint": {"type": ["object", "null"], "description": "覆盖最后一轮存证的签名检查点：covered、event_id、at"
                                                                "（尚无检查点时为 null）"}},
        ("draw_id", "match", "sealed")),
    "DrawExport": _obj({
        "format": {"const": "expertpool-draw-record"}, "format_version": INT, "draw_id": INT, "request_id": INT,
        "record": {"type": "object", "description": "抽取记录（docs/draw-record.md 规定每个字段与规范化序列化）"},
        "record_sha256": STR, "anchors": {"type": "array", "items": OBJ,
                                          "description": "审计日志中各轮的存证事件（含 prev_hash 与 hash）"}},
        ("format", "record", "record_sha256", "anchors")),
}


SCHEMAS = {
    "Error": _obj({"error": _obj({
        "status": INT, "message": STR,
        "fields": {"type": "object", "additionalProperties": STR, "description": "字段名 → 错误说明（仅 422）"}},
        ("status", "message"))}, ("error",)),
    "TokenRequest": _obj({"username": STR, "password": {"type": "string", "format": "password"}},
                         ("username", "password")),
    "Token": _obj({"token": STR, "token_type": {"const": "Bearer"}, "expires_at": {"type": "string", "format": "date-time"},
                   "user": _obj({"id": INT, "username": STR, "display_name": STR,
                                 "roles": {"type": "array", "items": STR}})}, ("token", "expires_at")),
    "Task": _obj({
        "id": INT, "instance_id": INT, "name": STR, "bpmn_id": STR, "process_key": STR, "process_name": STR,
        "subject": STR, "lane_role": _nullable("string"), "assignee_id": _nullable("integer"),
        "unit_id": _nullable("integer"), "form_key": _nullable("string"),
        "state": {"enum": ["open", "done", "cancelled"]}, "claimed_by": _nullable("integer"), "claimed_at": DT,
        "created_at": DT, "due_at": DT, "overdue": BOOL, "completed_at": DT, "completed_by": _nullable("integer"),
        "lock_version": {"type": "integer", "description": "流程实例的乐观锁版本（仅任务详情）"},
        **openapi_inbox.TASK_FIELDS}, ("id", "instance_id", "name", "state")),
    "InboxCounts": _obj({"total": INT, "overdue": INT, "steps": {"type": "array", "items": _obj({
        "process_key": STR, "process_name": STR, "bpmn_id": STR, "name": STR, "count": INT})}}),
    "TaskList": _obj({"items": {"type": "array", "items": _ref("Task")}, "total": INT, "page": INT,
                      "per_page": INT, "counts": _ref("InboxCounts")}, ("items", "total", "counts")),
    "FormDefinition": _obj({"key": STR, "title": STR, "fields": {"type": "array", "items": _obj({
        "name": STR, "label": STR,
        "type": {"enum": ["text", "textarea", "choice", "multichoice", "date", "integer", "boolean", "file"]},
        "required": BOOL, "choices": {"type": "array", "items": {"type": "array", "items": STR}}},
        additionalProperties=True)}}),
    "Application": _obj({
        "id": INT, "route": {"enum": ["public", "invited"]}, "call_id": _nullable("integer"), "paper": BOOL,
        "name": STR, "groups": {"type": "array", "items": STR}, "status": STR, "status_label": _nullable("string"),
        "status_stage": _nullable("string"), "nomination_reason": _nullable("string"),
        "eligibility": _nullable("object"), "instance_id": _nullable("integer"), "expert_id": _nullable("integer"),
        "created_at": DT, "updated_at": DT,
        "form": {**OBJ, "description": "推荐表（附件1）各字段；无权查看者的电话、身份证号已脱敏，邮箱为 null"},
        "current_steps": {"type": "array", "items": STR, "description": "当前待办环节（仅“我的申请”）"}},
        ("id", "status")),
    "HistoryItem": _obj({"bpmn_id": STR, "task_name": STR, "actor": STR, "at": DT, "values": {
        **OBJ, "description": "该环节提交的值；无个人信息查看权限者，电话、身份证号等已脱敏"}}),
    "TaskDetail": _obj({"task": _ref("Task"), "form": {"oneOf": [_ref("FormDefinition"), {"type": "null"}]},
                        "context": {**OBJ, "description": TASK_CONTEXT_TEXT},
                        "instance_visible": {"type": "boolean", "description": "调用者能否查看该流程实例的完整记录"},
                        "history": {"type": "array", "items": _ref("HistoryItem")}}, ("task", "context", "history")),
    "CompleteRequest": _obj({
        "data": {**OBJ, "description": "表单字段值；文件字段传附件 id 数组（接口不接收文件上传）"},
        "lock_version": {"type": ["integer", "null"], "description": "期望的实例 lock_version；过期则 409"}},
        ("data",)),
    "TaskResult": _obj({"task": _ref("Task")}, ("task",)),
    "CompleteResult": _obj({"task": _ref("Task"), "instance": _obj({
        "id": INT, "status": STR, "lock_version": INT, "end_event": _nullable("string")})}),
    "StartRequest": _obj({
        "form": {**OBJ, "description": "admission_*：推荐表（附件1）字段，见 processes/admission/forms/application.json；"
                                       "声明了发起角色的流程：其发起表单字段（无发起表单时可省略，文件字段传附件 id）"},
        "call_id": {"type": "integer", "description": "admission_public：开放中的征集公告 id"},
        "paper": {"type": "boolean", "description": "admission_public：人才开发中心录入纸质推荐表"},
        "reason": {"type": "string", "description": "admission_invited：定向邀请理由（必填）"}}),
    "StartResult": _obj({"application_id": {**INT, "description": "仅入库申请"}, "instance_id": INT, "status": STR,
                         "process_key": STR, "version": {**INT, "description": "仅声明了发起角色的流程：所用版本"}},
                        ("instance_id", "process_key")),
    "StartableList": _obj({"items": {"type": "array", "items": _obj({
        "process_key": STR, "name": STR, "version": INT,
        "start_roles": {"type": ["array", "null"], "items": STR, "description": "流程开始事件声明的发起角色（入库申请为 null）"},
        "form": {"type": ["object", "null"], "description": "发起表单定义（无则为 null）"}}, ("process_key", "name"))}},
        ("items",)),
    "Event": _obj({"id": INT, "at": DT, "actor": STR, "actor_id": _nullable("integer"), "action": STR,
                   "bpmn_id": _nullable("string"), "task_name": _nullable("string"),
                   "data_before": _nullable("object"), "data_after": _nullable("object"), "hash": STR}),
    "Instance": _obj({
        "id": INT, "process_key": STR, "subject": STR, "business_key": _nullable("string"),
        "status": {"enum": ["running", "completed", "error", "terminated"]}, "end_event": _nullable("string"),
        "lock_version": INT, "unit_id": _nullable("integer"), "started_by": _nullable("integer"),
        "started_at": DT, "updated_at": DT, "completed_at": DT,
        "version": _obj({"id": INT, "key": STR, "name": STR, "number": INT, "sha256": STR}),
        "tasks": {"type": "array", "items": _ref("Task")}, "events": {"type": "array", "items": _ref("Event")}},
        ("id", "status", "version")),
    "Expert": _obj({
        "id": INT, "name": STR, "gender": STR, "unit_name": STR, "title": _nullable("string"),
        "title_level": STR, "rank_level": STR, "specialties": STR,
        "status": {"enum": ["active", "suspended", "exited", "expired"]},
        "groups": {"type": "array", "items": _obj({"code": STR, "name": STR, "position": STR})},
        "term_start": DATE, "term_end": DATE, "certificate_no": _nullable("string"),
        "phone": {"type": "string", "description": "无权查看者为 138****1234 形式"},
        "id_number": {"type": "string", "description": "无权查看者仅显示前 4 位和后 4 位"},
        "email": _nullable("string")}, ("id", "name", "status")),
    "ExpertList": _page_of("Expert"),
    "AuditEventList": _obj({"items": {"type": "array", "items": OBJ}, "total": INT, "page": INT, "per_page": INT,
                            "by_action": {"type": "object", "additionalProperties": INT}}, ("items", "total")),
    "ApplicationList": _obj({"items": {"type": "array", "items": _ref("Application")}}, ("items",)),
    **ASSIGNMENT_SCHEMAS,
    **openapi_inbox.SCHEMAS,
    **openapi_notifications.SCHEMAS,
}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or STR}


def _path(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema or INT}


PAGE_PARAMS = [_query("page", "页码，从 1 开始", {"type": "integer", "minimum": 1, "default": 1}),
               _query("per_page", "每页条数（≤200）", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50})]
TASK_ID = _path("task_id", "任务 id")


def _op(summary: str, tag: str, ok: tuple, errors: str, *, params=None, body=None, public=False) -> dict:
    """One operation: `ok` = (status, schema name, description); `errors` = space-separated statuses."""
    status, schema, description = ok
    responses = {status: {"description": description,
                          "content": {"application/json": {"schema": _ref(schema) if schema else OBJ}}}}
    for code in errors.split():
        responses[code] = {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
    operation = {"summary": summary, "tags": [tag], "parameters": params or [], "responses": responses}
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    if public:
        operation["security"] = []
    return operation


AUDIT_PATHS = {"/audit/events": {"get": _op(
    "审计检索：按专家、单位、流程及版本、操作人、步骤、操作、日期、实例状态、名称关键字检索审计事件（审计人员、人才开发中心）",
    "审计", ("200", "AuditEventList", "审计事件、总数及各操作计数"), "401 403 422", params=[
        _query("expert_id", "专家 id", INT), _query("unit_id", "单位 id", INT), _query("process_key", "流程标识"),
        _query("version", "流程版本号", INT), _query("actor", "操作人关键字"), _query("step", "步骤标识或名称关键字"),
        _query("action", "操作"), _query("date_from", "起始日期（北京时间）", {"type": "string", "format": "date"}),
        _query("date_to", "截止日期（含当日）", {"type": "string", "format": "date"}),
        _query("outcome", "实例状态", {"enum": ["running", "completed", "error", "terminated"]}),
        _query("q", "名称关键字（操作人、步骤、实例主题、流程名称）"),
        _query("sort", "排序", {"enum": ["at", "actor", "action", "process"], "default": "at"}),
        _query("order", "顺序", {"enum": ["desc", "asc"], "default": "desc"}),
        _query("page", "页码，从 1 开始", {"type": "integer", "minimum": 1, "default": 1}),
        _query("per_page", "每页条数", {"enum": [10, 20, 50, 100], "default": 50})])}}


BULK_PATHS = {"/tasks/bulk": {"post": _op(
    "批量办理：对勾选的任务（task_ids）或当前筛选的全部匹配任务（filter，服务端按本人可见范围重新计算，上限 200 项）"
    "作出同一决定，逐项独立办理", "任务", ("200", "BulkResult", "逐项结果（事项、环节、成功或失败原因）"),
    "400 401 403 422", body="BulkRequest")}}
BULK_SCHEMAS = {
    "BulkRequest": _obj({"form_key": {"enum": ["leader_approval", "record_document"]},
                         "task_ids": {"type": "array", "items": INT},
                         "filter": _obj({"process_key": STR, "bpmn_id": STR, "unit_id": INT, "overdue": BOOL,
                                         "claimed": {"enum": ["mine", "unclaimed"]}, "sort": STR}),
                         "decision": STR, "comment": STR, "data": OBJ}, ("form_key",)),
    "BulkResult": _obj({"done": INT, "failed": INT, "items": {"type": "array", "items": _obj({
        "task_id": INT, "ok": BOOL, "message": STR, "subject": _nullable("string"), "step": _nullable("string")})}},
        ("done", "failed", "items"))}


def _paths() -> dict:
    return {
        "/auth/token": {"post": _op("登录获取访问令牌", "认证", ("200", "Token", "令牌及其过期时间"), "400 401 422",
                                    body="TokenRequest", public=True)},
        "/openapi.json": {"get": _op("接口说明文档（OpenAPI 3.1）", "认证", ("200", None, "本文档"), "", public=True)},
        "/tasks": {"get": _op("我的待办任务列表（检索、筛选、排序、分页，与待办页面参数相同）", "任务",
                              ("200", "TaskList", "待办任务及统计"), "401 403 422",
                              params=openapi_inbox.TASK_LIST_PARAMS)},
        **openapi_inbox.paths(_op, TASK_ID),
        "/tasks/{task_id}": {"get": _op("查看任务（含表单、申请材料和前序意见）", "任务",
                                        ("200", "TaskDetail", "任务详情"), "401 403 404", params=[TASK_ID])},
        "/tasks/{task_id}/claim": {"post": _op("认领任务", "任务", ("200", "TaskResult", "任务"),
                                               "401 403 404 409", params=[TASK_ID])},
        "/tasks/{task_id}/unclaim": {"post": _op("取消认领", "任务", ("200", "TaskResult", "任务"),
                                                 "401 403 404 409", params=[TASK_ID])},
        "/tasks/{task_id}/complete": {"post": _op(
            "办理（提交）任务", "任务", ("200", "CompleteResult", "已办理，流程已推进"), "400 401 403 404 409 422",
            params=[TASK_ID], body="CompleteRequest")},
        "/processes": {"get": _op("我可发起的流程（入库申请，及开始事件声明了我的角色的流程）", "流程",
                                  ("200", "StartableList", "可发起的流程及其发起表单"), "401")},
        "/processes/{process_key}/instances": {"post": _op(
            "发起流程（admission_public 公开遴选 / admission_invited 定向邀请 / 开始事件声明了发起角色的流程）", "流程",
            ("201", "StartResult", "已发起"), "400 401 403 404 409 422", body="StartRequest",
            params=[_path("process_key", "流程标识（见 GET /processes）", STR)])},
        "/instances/{instance_id}": {"get": _op("查看流程实例（版本、任务、历史）", "流程", ("200", "Instance", "流程实例"),
                                                "401 403 404", params=[_path("instance_id", "流程实例 id")])},
        "/experts": {"get": _op("查询专家库", "专家", ("200", "ExpertList", "专家列表（个人信息按权限脱敏）"),
                                "401 403 422", params=[
            _query("q", "姓名或单位关键字"), _query("group", "专家组代码"), _query("specialty", "专业特长关键字"),
            _query("status", "状态", {"enum": ["active", "suspended", "exited", "expired"]}), *PAGE_PARAMS])},
        "/experts/{expert_id}": {"get": _op("查看专家", "专家", ("200", "Expert", "专家（个人信息按权限脱敏）"),
                                            "401 403 404", params=[_path("expert_id", "专家 id")])},
        "/attachments": {"post": {**_op("上传附件（multipart，字段 file；PDF/JPEG/PNG，≤10 MB）", "申请",
                                        ("201", None, "附件 id、文件名、大小、sha256"), "400 401 413 422"),
                                  "requestBody": {"required": True, "content": {"multipart/form-data": {
                                      "schema": {"type": "object", "properties": {
                                          "file": {"type": "string", "format": "binary"}}}}}}}},
        "/applications/mine": {"get": _op("我的入库申请", "申请", ("200", "ApplicationList", "本人提交或录入的申请"),
                                          "401 403")},
        "/requests": {"post": _op("提出用人申请（随机抽取时立即抽取）", "专家选派",
                                  ("201", "WorkRequestPage", "申请、抽取记录、回避排除与选派专家"), "400 401 403 422",
                                  body="WorkRequestCreate")},
        "/requests/{request_id}": {"get": _op("查看用人申请及抽取记录（按角色密封姓名）", "专家选派",
                                              ("200", "WorkRequestPage", "用人申请"), "401 403 404",
                                              params=[_path("request_id", "用人申请 id")])},
        "/draws/{draw_id}/verify": {"get": _op("复核随机抽取（按记录重新计算）", "专家选派",
                                               ("200", "DrawVerification", "match / mismatch 及差异"), "401 403 404",
                                               params=[_path("draw_id", "抽取记录 id")])},
        "/draws/{draw_id}/export": {"get": _op("导出抽取记录及存证（可用 tools/verify_draw.py 离线复核）", "专家选派",
                                               ("200", "DrawExport", "抽取记录、各轮存证事件"), "401 403 404",
                                               params=[_path("draw_id", "抽取记录 id")])},
        **openapi_notifications.paths(_op, PAGE_PARAMS),
        **AUDIT_PATHS, **BULK_PATHS,
    }


def build_openapi(server_url: str = "/api/v1") -> dict:
    """The whole OpenAPI 3.1 document; `server_url` is the API's base URL."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "福建省产品质量安全监管专家库 API", "version": "1.0.0",
                 "description": "待办任务、流程发起与查询、专家库查询、我的通知。除登录和本文档外均需 Bearer 令牌。"},
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "POST /auth/token 取得的令牌，12 小时有效"}},
            "schemas": SCHEMAS | BULK_SCHEMAS,
            "responses": {name: {"description": text, "content": {"application/json": {"schema": _ref("Error")}}}
                          for name, text in ERRORS.values()},
        },
    }
