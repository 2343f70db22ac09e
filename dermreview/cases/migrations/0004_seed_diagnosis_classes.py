"""The shared diagnosis vocabulary, seeded.

Modelled on the ISIC diagnosis vocabulary (melanocytic, keratinocytic, vascular and other lesions, benign and
malignant), with the names and abbreviations reviewers and the AI model write. A later change to the shared list is
a new migration, reviewed like code: the clinics share these classes and their `high_risk` flags.

High-risk (a second, different reviewer signs): every melanoma, the in-situ forms and lentigo maligna included;
atypical melanocytic proliferations (melanoma not excluded); every basal cell carcinoma; squamous cell carcinoma,
SCC in situ (Bowen's disease) and keratoacanthoma (clinically not told apart from a well-differentiated SCC, and
managed as one); the rarer skin cancers; and "unclassified lesion": a reviewer who cannot name it wants a second
look. Not high-risk: actinic keratosis (premalignant, managed in primary care) and the benign classes.

The data is frozen here (migrations are history): it is not imported from the app.
"""

from __future__ import annotations

from django.db import migrations

# (code, name, high_risk, synonyms, abbreviations)
SEED: tuple[tuple[str, str, bool, tuple[str, ...], tuple[str, ...]], ...] = (
    # --- melanoma and other melanocytic malignancy --------------------------------------------------------
    ("mel", "Melanoma", True, ("malignant melanoma", "cutaneous melanoma", "invasive melanoma"), ()),
    ("mel-is", "Melanoma in situ", True, ("in situ melanoma", "in-situ melanoma", "melanoma in-situ"), ("MIS",)),
    ("mel-ss", "Superficial spreading melanoma", True, (), ("SSM",)),
    ("mel-nod", "Nodular melanoma", True, (), ()),
    ("lm", "Lentigo maligna", True, ("Hutchinson's melanotic freckle", "lentigo maligna in situ"), ()),
    ("lmm", "Lentigo maligna melanoma", True, (), ("LMM",)),
    ("mel-acral", "Acral lentiginous melanoma", True, ("acral melanoma",), ("ALM",)),
    ("mel-amel", "Amelanotic melanoma", True, ("hypomelanotic melanoma",), ()),
    ("mel-desmo", "Desmoplastic melanoma", True, (), ()),
    ("mel-subungual", "Subungual melanoma", True, ("nail melanoma", "nail unit melanoma"), ()),
    ("mel-mucosal", "Mucosal melanoma", True, (), ()),
    ("mel-naevoid", "Naevoid melanoma", True, ("spitzoid melanoma",), ()),
    ("mel-meta", "Metastatic melanoma", True, ("melanoma metastasis", "in-transit melanoma metastasis"), ()),
    ("amp", "Atypical melanocytic proliferation", True,
     ("atypical melanocytic lesion", "melanocytic tumour of uncertain malignant potential",
      "melanocytic tumor of uncertain malignant potential", "atypical spitz tumour", "atypical spitz tumor"),
     ("MELTUMP", "AMP")),
    # --- keratinocyte carcinomas ----------------------------------------------------------------------------
    ("bcc", "Basal cell carcinoma", True,
     ("basal cell epithelioma", "basalioma", "rodent ulcer", "pigmented basal cell carcinoma", "pigmented BCC"),
     ("BCC",)),
    ("bcc-nod", "Nodular basal cell carcinoma", True, ("nodular BCC",), ("nBCC",)),
    ("bcc-sup", "Superficial basal cell carcinoma", True, ("superficial BCC",), ("sBCC",)),
    ("bcc-morph", "Morphoeic basal cell carcinoma", True,
     ("morphoeic BCC", "morpheaform basal cell carcinoma", "morpheaform BCC", "infiltrative basal cell carcinoma",
      "infiltrative BCC", "sclerosing basal cell carcinoma"), ()),
    ("scc", "Squamous cell carcinoma", True,
     ("cutaneous squamous cell carcinoma", "invasive squamous cell carcinoma", "squamous carcinoma",
      "epidermoid carcinoma"), ("SCC", "cSCC")),
    ("scc-is", "Squamous cell carcinoma in situ", True,
     ("Bowen's disease", "Bowen disease", "SCC in situ", "intraepidermal carcinoma", "intraepidermal squamous "
      "cell carcinoma", "bowenoid papulosis"), ("SCCIS", "IEC")),
    ("ka", "Keratoacanthoma", True, ("keratoacanthoma type squamous cell carcinoma",), ("KA",)),
    # --- rarer skin cancers ----------------------------------------------------------------------------------
    ("mcc", "Merkel cell carcinoma", True, ("Merkel-cell carcinoma",), ("MCC",)),
    ("dfsp", "Dermatofibrosarcoma protuberans", True, (), ("DFSP",)),
    ("ks", "Kaposi sarcoma", True, ("Kaposi's sarcoma",), ()),
    ("angiosarcoma", "Angiosarcoma", True, ("cutaneous angiosarcoma",), ()),
    ("afx", "Atypical fibroxanthoma", True, ("pleomorphic dermal sarcoma",), ("AFX",)),
    ("sebaceous-ca", "Sebaceous carcinoma", True, (), ()),
    ("lymphoma", "Cutaneous lymphoma", True, ("mycosis fungoides", "cutaneous T-cell lymphoma",
                                               "cutaneous B-cell lymphoma"), ("CTCL",)),
    ("metastasis", "Cutaneous metastasis", True, ("skin metastasis",), ()),
    # Only phrases that cannot occur by chance in a qualifier ("no other findings"): not "other" or "unknown".
    ("unclassified", "Unclassified lesion", True,
     ("unclassifiable lesion", "indeterminate lesion", "lesion of uncertain diagnosis", "other lesion"), ()),
    # --- premalignant -----------------------------------------------------------------------------------------
    ("ak", "Actinic keratosis", False, ("solar keratosis", "senile keratosis", "actinic keratoses"), ("AK",)),
    # --- melanocytic naevi and other benign melanocytic lesions --------------------------------------------
    ("naevus", "Melanocytic naevus", False,
     ("naevus", "nevus", "naevi", "nevi", "mole", "common naevus", "benign naevus", "banal naevus",
      "acquired naevus", "melanocytic nevus", "benign melanocytic naevus"), ()),
    ("naevus-junctional", "Junctional naevus", False, (), ()),
    ("naevus-compound", "Compound naevus", False, (), ()),
    ("naevus-intradermal", "Intradermal naevus", False, ("dermal naevus",), ()),
    ("naevus-dysplastic", "Dysplastic naevus", False, ("atypical naevus", "Clark naevus", "Clark's naevus"), ()),
    ("naevus-congenital", "Congenital naevus", False, ("congenital melanocytic naevus",), ("CMN",)),
    ("naevus-blue", "Blue naevus", False, (), ()),
    ("naevus-spitz", "Spitz naevus", False, ("Spitz tumour", "Spitz tumor", "Reed naevus",
                                             "pigmented spindle cell naevus"), ()),
    ("naevus-halo", "Halo naevus", False, (), ()),
    ("naevus-acral", "Acral naevus", False, (), ()),
    ("naevus-recurrent", "Recurrent naevus", False, ("recurrent nevus", "pseudomelanoma"), ()),
    ("lentigo-simplex", "Lentigo simplex", False, ("simple lentigo",), ()),
    ("solar-lentigo", "Solar lentigo", False, ("lentigo", "senile lentigo", "actinic lentigo", "liver spot",
                                               "age spot", "ink spot lentigo"), ()),
    ("ephelis", "Ephelis", False, ("freckle", "ephelides", "freckles"), ()),
    ("cafe-au-lait", "Café-au-lait macule", False, ("cafe au lait spot",), ("CALM",)),
    # --- benign keratinocytic ---------------------------------------------------------------------------------
    ("sk", "Seborrhoeic keratosis", False,
     ("seborrheic keratosis", "seborrhoeic wart", "basal cell papilloma", "senile wart", "seb k"), ("SK",)),
    ("bkl", "Benign keratosis", False, ("benign keratosis-like lesion", "benign keratinocytic lesion"), ("BKL",)),
    ("lplk", "Lichen planus-like keratosis", False, ("lichenoid keratosis",), ("LPLK",)),
    ("wart", "Viral wart", False, ("wart", "verruca", "verruca vulgaris", "common wart"), ()),
    # --- vascular -------------------------------------------------------------------------------------------------
    ("haemangioma", "Haemangioma", False, ("angioma", "cherry angioma", "Campbell de Morgan spot",
                                            "senile angioma"), ()),
    ("angiokeratoma", "Angiokeratoma", False, (), ()),
    ("pyogenic-granuloma", "Pyogenic granuloma", False, ("lobular capillary haemangioma",), ()),
    ("vascular", "Vascular lesion", False, ("benign vascular lesion",), ()),
    # --- other benign -------------------------------------------------------------------------------------------
    ("df", "Dermatofibroma", False, ("benign fibrous histiocytoma", "fibrous histiocytoma"), ("DF",)),
    ("sebaceous-hyperplasia", "Sebaceous hyperplasia", False, (), ()),
    ("cyst", "Epidermoid cyst", False, ("epidermal cyst", "sebaceous cyst", "epidermal inclusion cyst"), ()),
    ("skin-tag", "Skin tag", False, ("acrochordon", "fibroepithelial polyp"), ()),
    ("scar", "Scar", False, ("hypertrophic scar", "keloid"), ()),
    ("inflammatory", "Inflammatory dermatosis", False, ("dermatitis", "eczema", "psoriasis"), ()),
)


def seed(apps, schema_editor):  # noqa: ANN001, ANN201
    """Write the shared classes; a class already there (same code) is brought up to date. Safe to run again."""
    DiagnosisClass = apps.get_model("cases", "DiagnosisClass")
    for position, (code, name, high_risk, synonyms, abbreviations) in enumerate(SEED, start=1):
        DiagnosisClass.objects.update_or_create(
            organisation=None, code=code,
            defaults={"name": name, "high_risk": high_risk, "synonyms": list(synonyms),
                      "abbreviations": list(abbreviations), "active": True, "ordering": position * 10},
        )


def unseed(apps, schema_editor):  # noqa: ANN001, ANN201
    apps.get_model("cases", "DiagnosisClass").objects.filter(
        organisation=None, code__in=[row[0] for row in SEED]).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_diagnosisclass")]
    operations = [migrations.RunPython(seed, unseed)]
