"""Demo data: realistic (fictional) Fujian experts generated from a seeded `random.Random`.

Names, units, titles and specialties are drawn from the lists below; identity numbers follow
GB 11643 (region + birth date + sequence with gender parity + ISO 7064 MOD 11-2 check digit).
"""

from dataclasses import dataclass
from datetime import date, timedelta

SURNAMES = ("陈林黄张李王吴刘蔡杨郑许谢洪郭邱曾廖赖徐周叶苏庄吕江何罗高潘朱游方施余卢傅魏詹沈"
            "翁柯阮章宋钟范彭连欧严薛")
MALE_CHARS = "建国志明伟强俊杰斌涛鹏辉海峰立新永华文德振荣宏毅晨阳宇航清源泽鑫凯锋晓东国庆炜坤鸿"
FEMALE_CHARS = "芳娜敏静丽婷雪燕玲琳霞秀颖慧倩洁琴萍丹红梅兰月莉晶怡雯佳欣瑶璐舒雅"
REGIONS = ("350102", "350103", "350104", "350105", "350111", "350121", "350181", "350203", "350205", "350206",
           "350211", "350212", "350302", "350402", "350502", "350503", "350582", "350583", "350602", "350681",
           "350702", "350802", "350902", "350128")
MOBILE_PREFIXES = ("133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "158", "159", "177",
                   "180", "182", "183", "187", "188", "189", "199")
POLITICAL = ("中共党员",) * 6 + ("群众",) * 3 + ("民主党派", "民主党派", "无党派人士")  # 推荐表 choices
SCHOOLS = {  # where people of each kind of employer studied
    "law": ("西南政法大学", "华东政法大学", "厦门大学", "福州大学", "中国政法大学"),
    "media": ("中国传媒大学", "福建师范大学", "厦门大学", "武汉大学"),
    "university": ("厦门大学", "浙江大学", "福州大学", "华南理工大学", "同济大学", "中国农业大学", "武汉大学"),
}
ENGINEERING_SCHOOLS = ("福州大学", "厦门大学", "华侨大学", "福建农林大学", "集美大学", "浙江大学", "华南理工大学",
                       "中国计量大学", "同济大学", "福建理工大学")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

GROUP_SPECIALTIES = {
    "general": ("产品质量法律法规", "质量政策研究", "行政执法程序", "舆情监测与研判", "新闻宣传"),
    "supervision_sampling": ("电线电缆", "家用电器", "儿童用品", "化肥", "建材", "电动自行车", "服装纺织", "鞋类",
                             "塑料制品", "燃气器具"),
    "risk_monitoring": ("锂电池", "儿童用品", "食品相关产品", "电子电器", "消费品安全风险评估", "燃气器具", "电动自行车"),
    "post_license": ("食品相关产品", "化肥", "危险化学品", "电线电缆", "水泥", "人造板", "工业产品生产许可审查"),
    "quality_assistance": ("质量管理体系", "认证认可", "品牌建设", "卓越绩效", "标准化", "鞋服", "工艺改进"),
    "institution_inspection": ("检验检测机构资质认定", "实验室管理", "计量器具", "认证认可", "能力验证"),
}


@dataclass(frozen=True)
class Category:
    """A kind of employer with its units, titles, positions, typical groups and work areas."""

    code: str
    weight: int
    units: tuple[str, ...]
    titles: tuple[tuple[str | None, str], ...]  # (title, title_level)
    positions: tuple[str, ...]
    ranks: tuple[str, ...]
    groups: tuple[str, ...]
    areas: tuple[str, ...]
    work: str  # what the person does, for the work-history sentence


ENGINEER = (("高级工程师", "vice_senior"),) * 3 + (("正高级工程师", "senior"),)
CATEGORIES = (
    Category("inspection", 30, ("福建省产品质量检验研究院", "福建省纤维检验中心", "厦门市产品质量监督检验院",
                                "泉州市产品质量检验所", "漳州市产品质量检验所", "莆田市产品质量检验所",
                                "宁德市产品质量检验所", "福建省建筑材料产品质量检验站"), ENGINEER,
             ("检验室主任", "技术负责人", "质量负责人", "授权签字人", "业务部部长"),
             ("none",) * 5 + ("section", "vice_division"),
             ("supervision_sampling", "risk_monitoring", "institution_inspection", "post_license"),
             ("sampling", "risk", "post_license"), "产品质量检验检测与监督抽查技术"),
    Category("metrology", 7, ("福建省计量科学研究院", "厦门市计量检定测试院", "泉州市计量所"), ENGINEER,
             ("计量室主任", "技术负责人", "高级计量员"), ("none",) * 4 + ("section",),
             ("institution_inspection", "supervision_sampling"), ("sampling", "assistance"), "计量检定校准与测量技术"),
    Category("standard", 7, ("福建省标准化研究院", "厦门市标准化研究院"),
             ENGINEER + (("研究员", "senior"), ("副研究员", "vice_senior")),
             ("研究室主任", "标准化研究员", "副院长"), ("none",) * 4 + ("section",),
             ("quality_assistance", "general", "risk_monitoring"), ("assistance", "risk"), "标准化研究与标准制修订"),
    Category("university", 14, ("福州大学", "厦门大学", "华侨大学", "福建农林大学", "福建师范大学", "集美大学",
                                "福建理工大学", "闽江学院"), (("教授", "senior"), ("副教授", "vice_senior")),
             ("教研室主任", "系主任", "学院副院长", "研究所所长"), ("none",) * 4 + ("vice_division",),
             ("risk_monitoring", "quality_assistance", "general"), ("risk", "assistance"), "教学科研与产品安全评价研究"),
    Category("regulator", 12, ("福州市市场监督管理局", "厦门市市场监督管理局", "泉州市市场监督管理局",
                               "漳州市市场监督管理局", "莆田市市场监督管理局", "三明市市场监督管理局",
                               "南平市市场监督管理局", "龙岩市市场监督管理局", "宁德市市场监督管理局",
                               "平潭综合实验区市场监督管理局", "晋江市市场监督管理局"),
             ((None, "none"),) * 3 + (("高级工程师", "vice_senior"),),
             ("副局长", "三级调研员", "二级调研员", "质量监督科科长"), ("vice_division",) * 3 + ("division",),
             ("supervision_sampling", "post_license", "general"), ("sampling", "post_license"), "产品质量安全监管"),
    Category("enterprise", 16, ("福建海峡电线电缆有限公司", "厦门鹭丰厨卫科技有限公司", "泉州晋祥鞋业有限公司",
                                "宁德闽东新能源科技有限公司", "福州榕发电动车有限公司", "漳州华晟化肥有限公司",
                                "南平闽北建材有限公司", "莆田宝成童车有限公司", "龙岩紫金燃气具有限公司"), ENGINEER,
             ("质量部经理", "质量总监", "技术中心主任", "首席质量官"), ("none",),
             ("quality_assistance", "post_license", "risk_monitoring"), ("assistance", "post_license"),
             "企业质量管理与产品研发"),
    Category("law", 7, ("福建闽正律师事务所", "福建海衡律师事务所", "厦门鹭法律师事务所", "泉州刺桐律师事务所"),
             (("一级律师", "senior"), ("二级律师", "vice_senior"), ("二级律师", "vice_senior")),
             ("合伙人", "高级合伙人", "专职律师"), ("none",), ("general",), ("legal",), "产品质量与行政法律服务"),
    Category("media", 7, ("福建日报社", "福建广播影视集团", "海峡都市报社", "福建省网络舆情研究中心"),
             (("高级记者", "senior"), ("主任记者", "vice_senior"), ("高级编辑", "senior"), ("主任编辑", "vice_senior")),
             ("新闻部主任", "舆情分析部主任", "副总编辑"), ("none",) * 3 + ("vice_division",),
             ("general",), ("public_opinion",), "新闻宣传与网络舆情监测研判"),
)
CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}
LAW_SPECIALTIES = ("产品质量法律法规", "行政复议与行政诉讼", "民事纠纷调解", "合规审查")
MEDIA_SPECIALTIES = ("舆情监测与研判", "新闻宣传", "突发事件舆论引导", "新媒体传播")
EDUCATION = ("博士研究生", "硕士研究生", "硕士研究生", "大学本科", "大学本科")


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


class PersonFactory:
    """Makes unique, internally consistent demo people from one seeded `random.Random`."""

    def __init__(self, rng, today: date):
        self.rng, self.today = rng, today
        self.id_numbers: set[str] = set()
        self.phones: set[str] = set()
        self.seq = 0

    def name(self, gender: str) -> str:
        chars = MALE_CHARS if gender == "male" else FEMALE_CHARS
        given = "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def id_number(self, birth: date, gender: str) -> str:
        while True:
            seq = self.rng.randrange(1, 499) * 2 + (1 if gender == "male" else 0)
            first17 = f"{self.rng.choice(REGIONS)}{birth:%Y%m%d}{seq:03d}"
            number = first17 + id_check_digit(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def birth_date(self) -> date:
        roll = self.rng.random()
        year = self.rng.randint(1962, 1965) if roll < 0.04 else self.rng.randint(1966, 1992)
        if 0.04 <= roll < 0.08:  # a few turn 60 this year or next: near the Art 6(三) age limit
            year = self.today.year - 60 + self.rng.choice((0, 1))
        return date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))

    def groups(self, category: Category) -> list[str]:
        count = self.rng.choice((1, 2, 2, 2, 3))
        pool = list(category.groups)
        others = [g for g in GROUP_SPECIALTIES if g not in pool]
        picked = self.rng.sample(pool, min(count, len(pool)))
        while len(picked) < count:  # law / media experts may also join a second, unrelated group
            picked.append(others.pop(self.rng.randrange(len(others))))
        return picked

    def specialties(self, category: Category, groups: list[str]) -> str:
        if category.code in ("law", "media"):
            pool = LAW_SPECIALTIES if category.code == "law" else MEDIA_SPECIALTIES
        else:
            pool = tuple(dict.fromkeys(s for g in groups for s in GROUP_SPECIALTIES[g]))
        return "；".join(self.rng.sample(pool, min(len(pool), self.rng.randint(1, 3))))

    def history(self, category: Category, unit: str, start: int, specialties: str) -> str:
        school = self.rng.choice(SCHOOLS.get(category.code, ENGINEERING_SCHOOLS))
        return (f"{start - self.rng.randint(1, 3)}年毕业于{school}；{start}年起在{unit}从事{category.work}工作，"
                f"擅长{specialties.replace('；', '、')}，参与国家及省级相关任务{self.rng.randint(5, 60)}项。")

    def person(self, category_code: str | None = None, **overrides) -> dict:
        """One person with every 附件1 field, as Python values (dates, ints, lists)."""
        rng = self.rng
        category = CATEGORY_BY_CODE[category_code] if category_code else rng.choices(
            CATEGORIES, weights=[c.weight for c in CATEGORIES])[0]
        gender = overrides.get("gender") or rng.choice(("male", "male", "female"))
        birth = overrides.get("birth_date") or self.birth_date()
        age = self.today.year - birth.year
        title, title_level = rng.choice(category.titles)
        unit = rng.choice(category.units)
        groups = overrides.get("groups") or self.groups(category)
        specialties = self.specialties(category, groups)
        field_years = rng.randint(6, max(6, age - 23))
        self.seq += 1
        person = {
            "name": self.name(gender), "gender": gender, "political_status": rng.choice(POLITICAL),
            "birth_date": birth, "education": rng.choice(EDUCATION), "phone": self.phone(),
            "email": f"demo{self.seq:04d}@example.cn", "id_number": self.id_number(birth, gender),
            "unit_name": unit, "position": rng.choice(category.positions), "rank_level": rng.choice(category.ranks),
            "title": title, "title_level": title_level, "field_years": field_years,
            "work_history": self.history(category, unit, self.today.year - field_years, specialties),
            "specialties": specialties, "groups": groups,
            "work_areas": rng.sample(category.areas, rng.randint(1, len(category.areas))),
        }
        person.update(overrides)
        return person


def form_values(person: dict, **extra) -> dict:
    """A person as raw 推荐表 input (strings and lists, as a browser would post them)."""
    raw = {k: v for k, v in person.items() if k not in ("birth_date", "field_years", "title", "email")}
    raw.update(birth_date=person["birth_date"].isoformat(), field_years=str(person["field_years"]),
               title=person["title"] or "", email=person["email"] or "", age_exemptions=[], exemption_note="",
               pledge="on", response="")
    raw.update(extra)
    return raw


def admission_batches(rng, today: date) -> list[tuple[date, str]]:
    """Past admission documents (date, 文号) inside the last 3 years; the first one's terms end within 60 days."""
    try:
        three_years_ago = today.replace(year=today.year - 3)
    except ValueError:  # 29 February
        three_years_ago = today.replace(year=today.year - 3, day=28)
    day, batches, numbers = three_years_ago + timedelta(days=rng.randint(15, 50)), [], {}
    while day < today - timedelta(days=45):
        numbers[day.year] = numbers.get(day.year, rng.randint(60, 150)) + rng.randint(20, 60)
        batches.append((day, f"闽市监函〔{day.year}〕{numbers[day.year]}号"))
        day += timedelta(days=rng.randint(150, 200))
    return batches


def demo_pdf(title: str) -> bytes:
    """A small valid one-page PDF (ASCII text) standing in for a scanned, stamped attachment."""
    text = title.encode("ascii", "replace").decode()
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = "%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("ascii")
