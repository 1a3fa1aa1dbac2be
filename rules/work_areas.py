"""Art 7: the work areas experts serve in, with the knowledge and skills each requires."""

from __future__ import annotations

# Art 7: work areas as (code, name, knowledge and skills required), summarised from the Measures.
WORK_AREAS: tuple[tuple[str, str, str], ...] = (
    ("sampling", "监督抽查",
     "熟悉产品质量监督抽查相关法律法规、工作规范、抽查细则和产品标准；具有承担产品质量监督抽样检验任务的相关经历。"),
    ("post_license", "证后检查",
     "熟悉工业产品生产许可相关法律法规、产业政策、生产许可证实施通则和细则；"
     "在生产许可证发证审查、证后检查等工作中具有较丰富经验和相应能力。"),
    ("risk", "风险监控",
     "熟悉国内外工业产品质量安全风险管控的法律法规、标准体系、风险管理流程和评估方法；"
     "能主动关注和收集国内外消费品和重点工业品风险信息；具有开展风险监测和研判评估的专业知识和能力。"),
    ("assistance", "质量帮扶",
     "熟悉产品质量问题涉及的法律法规、技术标准规范和生产工艺；具备帮扶指导企业加强生产经营、质量内部管控、"
     "品牌管理，实施产品认证、质量管理体系认证及工许获证企业持续保持获证条件的专业知识和技能。"),
    ("legal", "法务支撑",
     "熟悉产品质量安全监管领域相关法律法规和政策要求；具有民事纠纷调解、行政复议、行政诉讼等工作经历；"
     "能够对监管合规性提供法律咨询。"),
    ("public_opinion", "舆情处置",
     "具有一定舆情处置和新闻宣传经验；能够熟悉舆论声场、监测舆情走势、分析舆情等级、提出处置建议；"
     "能运用新媒体、自媒体等平台发出正向声音、科学引导舆论。"),
)


WORK_AREA_NAMES: dict[str, str] = {code: name for code, name, _ in WORK_AREAS}


WORK_AREA_KNOWLEDGE: dict[str, str] = {code: text for code, _, text in WORK_AREAS}
