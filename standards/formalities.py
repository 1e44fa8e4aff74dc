"""The formalities of an act's route: what each curated kind means and where that is
written, and a sheet's formalities grouped by kind.

The kinds and their labels are `standards.models.Formality` (the one place labels live,
beside the conformity routes); which act requires which, with the provision and the
source, are `RegulationFormality` rows loaded from data/demo/formalities.csv. Here each
kind gets its plain-words explanation and the official text it rests on, so that a
requirement sheet, its exports and any other page explain a formality the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef
from django.db.models.functions import JSONObject
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from standards.models import Formality, RegulationFormality, TechnicalRegulation

ELI = "https://eur-lex.europa.eu/eli/{}/oj"


def _gov_cn(title: str) -> str:
    """The State Council policy library's search for a rule's Chinese title (its official
    record, as standards.sources builds it)."""
    base = "https://sousuo.www.gov.cn/sousuo/search.shtml?code=17da70961a7&dataTypeId=107"
    return f"{base}&searchWord={quote(title, safe='')}"


CCC_PROVISIONS = _gov_cn("强制性产品认证管理规定")
PRODUCT_QUALITY_LAW = "https://flk.npc.gov.cn/search.html?keyword=" + quote(
    "中华人民共和国产品质量法", safe=""
)
# The NMPA's English site, the Provisions for Medical Device Registration and Filing.
NMPA_REGISTRATION_PROVISIONS = "http://subsites.chinadaily.com.cn/nmpa/2024-06/05/c_993242.htm"


@dataclass(frozen=True)
class Explanation:
    text: str | Promise
    basis: str | Promise  # the provision, named in the reader's language
    source: str  # its official text


EXPLANATIONS: dict[str, Explanation] = {
    Formality.EU_DECLARATION: Explanation(
        _(
            "A document the manufacturer draws up and signs before placing the product on the "
            "market, declaring that it meets the requirements of the act and taking "
            "responsibility for it. Where several acts require one, a single declaration "
            "covers them all."
        ),
        _("Decision No 768/2008/EC, Annex I, Art. R10"),
        ELI.format("dec/2008/768"),
    ),
    Formality.TECHNICAL_DOCUMENTATION: Explanation(
        _(
            "The file that shows how the product meets the requirements: its description and "
            "design, the risk assessment, the standards applied and the test reports. The "
            "manufacturer keeps it, with the declaration of conformity, for the period the act "
            "sets (10 years under the toy, low-voltage, EMC, RoHS and PPE acts) and gives it "
            "to a market-surveillance authority that asks for it."
        ),
        _("Decision No 768/2008/EC, Annex I, Art. R2"),
        ELI.format("dec/2008/768"),
    ),
    Formality.NOTIFIED_BODY: Explanation(
        _(
            "A conformity assessment body that an EU country has designated and notified to "
            "the Commission for the act (listed in the Commission's NANDO database). It takes "
            "part where the act or the module chosen requires it: type examination, approval "
            "of the quality system or checks of the products. When it takes part in the "
            "production phase, its identification number follows the CE marking."
        ),
        _("Decision No 768/2008/EC, Annexes I and II"),
        ELI.format("dec/2008/768"),
    ),
    Formality.EU_OPERATOR: Explanation(
        _(
            "A manufacturer, importer, authorised representative or fulfilment service "
            "provider established in the EU is responsible for the product: it keeps the "
            "declaration of conformity for the authorities, gives them the information they "
            "ask for, tells them of risks and cooperates with them. Its name and contact "
            "details, postal address included, are on the product, its packaging, the parcel "
            "or an accompanying document."
        ),
        _("Regulation (EU) 2019/1020, Art. 4"),
        ELI.format("reg/2019/1020"),
    ),
    Formality.CE_MARKING: Explanation(
        _(
            "Affixed by the manufacturer, visibly, legibly and indelibly, before the product "
            "is placed on the market. It is the only marking that attests conformity with the "
            "acts that provide for it: by affixing it the manufacturer takes responsibility "
            "for that conformity."
        ),
        _("Regulation (EC) No 765/2008, Art. 30"),
        ELI.format("reg/2008/765"),
    ),
    Formality.EU_INSTRUCTIONS: Explanation(
        _(
            "The product comes with instructions and safety information in a language that "
            "consumers and other end-users easily understand, as decided by the EU country "
            "where it is sold."
        ),
        _("Decision No 768/2008/EC, Annex I, Art. R2(7)"),
        ELI.format("dec/2008/768"),
    ),
    Formality.FIBRE_LABEL: Explanation(
        _(
            "A textile product made available on the market is labelled or marked with its "
            "fibre composition, using only the fibre names of Annex I, durably and legibly, "
            "in the official language or languages of the EU country where it is sold to the "
            "consumer unless that country decides otherwise."
        ),
        _("Regulation (EU) No 1007/2011, Art. 14 and 16"),
        ELI.format("reg/2011/1007"),
    ),
    Formality.CCC_CERTIFICATE: Explanation(
        _(
            "A product in the CCC catalogue may leave the factory, be sold, imported or used "
            "in business only once a certification body designated by CNCA has certified it: "
            "type testing, a check of the factory's quality assurance and of product "
            "conformity, and follow-up supervision after the certificate is issued, as the "
            "product's implementation rule sets out."
        ),
        _("Provisions for the Administration of Compulsory Product Certification, Art. 2"),
        CCC_PROVISIONS,
    ),
    Formality.CCC_SELF_DECLARATION: Explanation(
        _(
            "For the products the catalogue opens to self-declaration, the producer has the "
            "product type-tested, declares that it conforms and reports the conformity "
            "information in CNCA's self-declaration system before the product leaves the "
            "factory, is sold or imported. The CCC mark is still applied."
        ),
        "CNCA-00C-008:2019",
        "https://www.cnca.gov.cn/",
    ),
    Formality.CCC_MARK: Explanation(
        _(
            "Products subject to CCC bear the CCC mark before they leave the factory, are "
            "sold, imported or used in business."
        ),
        _("Provisions for the Administration of Compulsory Product Certification, Art. 2"),
        CCC_PROVISIONS,
    ),
    Formality.CHINESE_LABEL: Explanation(
        _(
            "The product or its packaging states in Chinese the product's name and the "
            "producer's name and address; where the product requires it, its specification, "
            "grade and main ingredients; the production date and safe-use period or expiry "
            "date of a product with a limited life; and a warning sign or a warning in Chinese "
            "where misuse could damage it or endanger people or property. It carries a "
            "certificate of inspection."
        ),
        _("Product Quality Law of the PRC, Art. 27"),
        PRODUCT_QUALITY_LAW,
    ),
    Formality.NMPA_FILING: Explanation(
        _(
            "A Class I (low-risk) medical device is filed with the drug regulator before it "
            "is sold: an imported device with the NMPA, through the overseas filer's agent in "
            "China; a domestic device with the drug regulator of its city."
        ),
        _("Provisions for Medical Device Registration and Filing (SAMR Order No. 47)"),
        NMPA_REGISTRATION_PROVISIONS,
    ),
    Formality.NMPA_REGISTRATION: Explanation(
        _(
            "A Class II or Class III medical device needs a registration certificate before "
            "it is sold. The NMPA registers imported Class II and III devices and domestic "
            "Class III devices, the provincial drug regulator domestic Class II devices; the "
            "application includes the technical documentation, the product technical "
            "requirements, test reports and the clinical evaluation."
        ),
        _("Provisions for Medical Device Registration and Filing (SAMR Order No. 47)"),
        NMPA_REGISTRATION_PROVISIONS,
    ),
    Formality.CHINA_AGENT: Explanation(
        _(
            "An overseas registrant or filer of a medical device designates an enterprise "
            "legal person in China as its agent, which handles the registration or filing on "
            "its behalf and helps it meet its obligations in China."
        ),
        _("Provisions for Medical Device Registration and Filing (SAMR Order No. 47)"),
        NMPA_REGISTRATION_PROVISIONS,
    ),
    Formality.HAZARDOUS_SUBSTANCE_MARKING: Explanation(
        _(
            "Electrical and electronic products made, sold or imported in China are marked "
            "with the names and content of the hazardous substances they contain and their "
            "environment-friendly use period."
        ),
        _("MIIT Order No. 32"),
        _gov_cn("电器电子产品有害物质限制使用管理办法"),
    ),
}

ORDER = {value: index for index, value in enumerate(Formality.values)}


@dataclass
class FormalityGroup:
    """One kind of formality on a sheet and the acts that require it."""

    kind: str
    rows: list[RegulationFormality] = field(default_factory=list)

    @property
    def label(self) -> str:
        return Formality(self.kind).label

    @property
    def explanation(self) -> Explanation:
        return EXPLANATIONS[self.kind]

    @property
    def anchor(self) -> str:
        return f"formality-{self.kind}"


# The fields of a formality a sheet reads.
ROW_FIELDS = (
    "formality", "basis_en", "basis_zh_hans", "condition_en", "condition_zh_hans", "source_url",
)  # fmt: skip


def formality_rows() -> ArraySubquery:
    """An annotation for a TechnicalRegulation queryset: its formalities as a list of
    dicts, read in the same query as the acts (`.annotate(route_rows=formality_rows())`)."""
    rows = RegulationFormality.objects.filter(regulation=OuterRef("pk")).order_by()
    # annotate, then values: modeltranslation's values(json=…) adds every column.
    rows = rows.annotate(json=JSONObject(**{name: name for name in ROW_FIELDS}))
    return ArraySubquery(rows.values("json"))


def attach_formalities(regulations: list[TechnicalRegulation]) -> list[FormalityGroup]:
    """Put each act's formalities on it (`route_formalities`, in the kinds' order), from
    the `route_rows` that `formality_rows()` read, and return them grouped by kind."""
    groups: dict[str, FormalityGroup] = {}
    rows = []
    for regulation in regulations:
        regulation.route_formalities = [
            RegulationFormality(regulation=regulation, **row)
            for row in getattr(regulation, "route_rows", None) or []
        ]
        regulation.route_formalities.sort(key=lambda r: ORDER.get(r.formality, len(ORDER)))
        rows += regulation.route_formalities
    for row in sorted(rows, key=lambda r: ORDER.get(r.formality, len(ORDER))):
        groups.setdefault(row.formality, FormalityGroup(row.formality)).rows.append(row)
    return list(groups.values())
