"""Data of the spam gate (``moderation.gate``): Unicode script names, and frequent letter
pairs per language."""

from __future__ import annotations

from typing import Final

# Scripts merged for the purpose of "does this text switch script every other letter".
SCRIPT_ALIASES: Final = {
    "CJK": "HAN",
    "IDEOGRAPHIC": "HAN",
    "HIRAGANA": "HAN",  # Japanese mixes kanji and kana inside words
    "KATAKANA": "HAN",
    "KATAKANA-HIRAGANA": "HAN",
    "HALFWIDTH": "HAN",
}
# Scripts learners write in; letters of any other script count as exotic.
KNOWN_SCRIPTS: Final = frozenset(
    [
        "LATIN",
        "CYRILLIC",
        "GREEK",
        "ARABIC",
        "HEBREW",
        "DEVANAGARI",
        "BENGALI",
        "GURMUKHI",
        "GUJARATI",
        "ORIYA",
        "TAMIL",
        "TELUGU",
        "KANNADA",
        "MALAYALAM",
        "SINHALA",
        "THAI",
        "LAO",
        "TIBETAN",
        "MYANMAR",
        "GEORGIAN",
        "ARMENIAN",
        "HANGUL",
        "HAN",
        "ETHIOPIC",
        "KHMER",
        "MONGOLIAN",
        "SYRIAC",
        "THAANA",
    ]
)
# Historic scripts nobody chats in: a text in one of them is noise even when it is the only one.
HISTORIC_SCRIPTS: Final = frozenset(
    [
        "EGYPTIAN",
        "CUNEIFORM",
        "LINEAR",
        "RUNIC",
        "OGHAM",
        "GOTHIC",
        "ANATOLIAN",
        "PHOENICIAN",
        "UGARITIC",
        "DESERET",
        "SHAVIAN",
        "OSMANYA",
        "CYPRIOT",
        "CARIAN",
        "LYCIAN",
        "LYDIAN",
        "KHAROSHTHI",
        "BRAHMI",
        "AVESTAN",
        "IMPERIAL",
        "INSCRIPTIONAL",
        "MEROITIC",
        "OLD",
    ]
)


# The most frequent within-word bigrams (lower-cased) of each language's profile in langdetect
# 1.0.9 (Wikipedia text): as many as cover 96% of its bigram occurrences, at most 360. Regenerate
# with ``python -m bench.gate --derive-bigrams``. Random letters or keyboard mash fall outside
# every table about half the time; real sentences a tenth of the time.
BIGRAMS: Final[dict[str, str]] = {
    "en": (
        "abacadafagaiakalamanaparasatauavaybabebiblbobrbubycacechcickclcocrctcudadedidodr"
        "dsdueaebecedeeefegeielemeneoeperesetevewexeyfafefffifofrgageghgiglgogrguhahehiho"
        "hrhthuiaibicidieifigiliminioipirisitivjajojukakekilaldlelilllolsltlulymambmemimm"
        "mompmunancndnengninnnonsntnunyoaobocodofogolomonoooporosotouovowpapephpiplpopppr"
        "ptpuqurarcrdrergrirkrlrmrnrorrrsrtrurvrysascseshsisospssstsutatethtitltotrtstttu"
        "twtyuaubucudueuguiulumunupurusutvaveviwawewhwiwnwoyeys"
    ),
    "es": (
        "abacadagaiajalamanaparasatauaybabebiblbobrbucacechciclcocrctcudadedidodrdueaebec"
        "edegelemeneoeperesetevexfafefifofrfugagegiglgogrguhahehihoiaibicidieifigiliminio"
        "ipirisitivizjajejojulalelillloltlumambmemimompmunancndnengninonsntnuobocodogolom"
        "onoporosotouovpapepiplpoprpuqurarcrdrergrirmrnrorrrsrtrusascsesisospstsutatethti"
        "totrtuuaubucudueuiulumunurusutvavevivoza"
    ),
    "pt": (
        "abacadagaialamanaoaparasatauavbabebibobrbucacechciclcocrcudadedidmdodueaecedegei"
        "elemenepereseteuevexfafefifofrfugagegigogrguhahehihoiaicidieigiliminioipirisitiv"
        "izjajojukmlalelhlilllmloltlumambmemimompmunancndnengnhninonsntobocodoeogoiolomon"
        "oporosotouovpapepiplpoprpuqurarcrdrergrirmrnrorrrsrtrusascsesisospssstsutatethti"
        "totrtuuaubueuguiulumunurusutvavevivoza"
    ),
    "fr": (
        "abacadagaialamanaparasatauavaybabebiblbobrbucacechciclcocrctcudadedidodrdueaeced"
        "eeefegeielemeneoepereseteuevexfafefffifofrgagegigngogrguhahehihoiaicidieifigilim"
        "inioipiqirisitivjajejojulalelilllolumambmemimmmompmunancndnengninnnonsntnuobocod"
        "ogoiolomonoporosotouovpapephpiplpoppprptpuqurarcrdrergrirmrnrorrrsrtrusascsesiso"
        "spssstsutatethtitotrtstttuuaubucudueuiulumunupurusutuvuxvavevivovr"
    ),
    "de": (
        "aaabacadafagahaiakalamanaparasataubabebiblbobrbucachckcodadedidodrdsdtdueaebeced"
        "eeefegeheiekelemenepereseteuewezfafefffiflfofrftfugagegiglgogrgsgtguhahehihlhmhn"
        "hohrhshthuhwiaibicidieifigikiliminioirisitivizjakakekiklkokrktkulalbldlelilllmlo"
        "lsltlumambmemimmmompmunanbndnenfngninknnnonsntnunzobocodofogoholomonoporosotouov"
        "owpapepfphpipoppprptrarbrcrdrerfrgrhrirkrlrmrnrorrrsrtrurwrzsasbscsesgshsisksosp"
        "ssstsutatethtitltotrtstttutwtzubucudueufuguhulumunupurusutvavevivowawewiwowuzezi"
        "zuzw"
    ),
    "it": (
        "abacadagaialamanaparasatauavazbabbbebibobrbucacccechciclcocrcudadedidodueaecedeg"
        "eielemeneresetevfafefifofrfugagegggiglgngogrguhahehiiaicidieifigiliminioipirisit"
        "iuivizlalelillloltlumambmemimompmunancndnengninnnonsntnzocodogoiolomonoporosotov"
        "papepipoppprpuqurarcrdrergrirmrnrorrrsrtrusascsesisospssstsutatethtitotrtttuuaub"
        "ueuiulumunuoupurusutvavevivozazizz"
    ),
    "nl": (
        "aaabacadafagaiakalamanaparasatauavbabebiblbobrbucacechcicoctcudadedidodrdsdtduea"
        "ebecedeeefegeheiekelemenepereseteuevewezfafefifofrftgagegigogrgsgtguhahehihohrht"
        "huiaicidieigijikiliminioirisitivjajdjejkjnjojukakekiklkokrksktlaldlelglilklllols"
        "ltlumambmemimmmompmsmunancndnengninknnnonsntnunwobocodoeofogoiokolomonoooporosot"
        "ouovpapepiplpoppprrarbrdrergrirkrlrmrnrorrrsrtrurvsascseshsiskslsospssstsutateth"
        "titotrtstttutwtyuaubucuduguiulumunurusutuuuwvavevivlvowawewiwozazezizo"
    ),
    "tr": (
        "abacadafagahaiakalamanaparasatavayazbabebibobrbucacechcicocucıdadedidodudıebeced"
        "egehekelemenereseteveyezfafefifofrfufıgagegiglgogrgugıhahehihohuiaibicidigihikil"
        "iminioipirisitiviyizkakekiklkmkoksktkukılalcldlelglilklllmloltlulylımamdmemimlmo"
        "mumınancndnengninknlnmnonsntnunynıogokolomonoporosotoyozpapepiplpoprpırarcrdrerg"
        "rirkrlrmrnrorsrtrurısascsesiskslsmsospstsusysıtatethtitltmtotrtttutıubucudufuguk"
        "ulumunupurusutuyuzvavevivryaydyeyiylynyoyuyızazczezizlzozııdıgıkılımınırısıyız"
    ),
    "id": (
        "aaabacadaeagahaiajakalamanaparasatauawaybabebibobucacechcicodadedidodueaebecedeg"
        "ehejekelemeneoeperesetfigagegggigkgogrguhahehihohuiaibicidieifigihikiliminioipir"
        "isitjajejukakekikoksktkulalelilllmlolumambmemimompmunancndnengninjnnnonsntnunyod"
        "ogokolomonoporosotovpapepipoprpurarbrdrergrirkrlrmrnrorsrtrusaseshsisostsutateth"
        "titotrtuuaubuduguhukulumunupurusutveviwawiya"
    ),
    "vi": (
        "abacadaeagaialamanaoaparasatauaybabebibobrbucacechcicoctcudadedidodueaecedeeeiel"
        "emeneoepereseteueyfafofrgageghgigngogrguhahehihohuiaicidieigiiiliminioipirisitka"
        "kekhkilalelilllolslulymambmemimompmunancndnengnhninnnonsntnuoaocodoeofoiolomonop"
        "orosotoupapephpipoprptqurardrergrhrirmrnrorrrsrtrurysascseshsisospssstsutatethti"
        "totrtttuuaucueuiulumunuourusutuyvavevivovuwawewixaxuyeyrđađeđiđođu"
    ),
    "sw": (
        "aaabacadafagahaiajakalamanaoaparasatauawayazbabebibobubwcachcodadedidodueaehekel"
        "emeneoereseteweyezfafifofugageghgigoguhahehihohuiaibicidifigiiijikiliminioipiris"
        "itiwiyizjajejijukakekikokukwlalelilllolumambmemimjmkmnmomtmumwnancndnengninonsnt"
        "nynzoaofogoiojokolomonoporosotpapepiporarerirorusaseshsisksostsutatethtitotuuaub"
        "ufuguhuiujukulumunupurusutuuuwuzviwawewiyayeyiyozazizo"
    ),
    "pl": (
        "abacadafagaiajakalamanaparasatauawazałbabebiblbobrbubycacechcicjckcncocyczdadedi"
        "dldndodrdudydzeaebecedegeiejekelemenepereseteuewezfifofrgagegigmgogrgugłhahehiho"
        "iaicidieigiiikiliminioirisitiuiwiziłjajejijnjojskakiklkokrksktkukłlalelilklllnlo"
        "lslumamemimompmunancndnengninknnnonsntnunyobocodogoiojokolomonoporosotowozołpape"
        "piplpoprpurarcrdrergrirkrmrnrorsrtrurwryrzsascsesiskslsnsospsrstsuswsyszsłtateth"
        "titktntotrtutwtyubucudugujukulumunupurusutuzwawcwewiwnwowswyycydyjykymynysytywyz"
        "yłzazbzczdzezizkznzoztzuzwzyłałełołuły"
    ),
    "ro": (
        "abacadafagaialamanaparasatauavazbabebiblbobrbucacechciclcocrctcudadedidodrdueaeb"
        "ecedefegeielemeneoepereseteuevexezfafefiflfofrgageghgiglgogrguhahehihoiaibicidie"
        "ifigiiiliminioipirisitiuivizjulalelillloltlumambmemimompmunancndnenfngninonsntnu"
        "oaobocodofogoiolomonoporosotouovpapepiplpoprptpurarcrdrergrirlrmrnrorsrtrusascse"
        "sisospstsutatethtitotrtuuaubucuduiulumunupurusutuzvavevivozazezi"
    ),
    "cs": (
        "abacadagahajakalamanaparasatauavazbabebiblbnbobrbubycacechcickcncoctcudadedidldn"
        "dodrdsdudvdyeaebecedehejekelemeneoeperesetevezfifofrgagegigrhahehihlhohrhuhyiaib"
        "icidieigihiiikiliminioipirisitivizjajejijmjskakeklkokrktkukylalelilklllnlolsluly"
        "mamemimnmomumynancndnengninknnnonsntnunyobocodofogohojokolomonoporosotouovozpape"
        "piplpoprpurarcrdrergrirkrmrnrorsrtrurvrysascsesiskslsmsnsospstsusvsytatethtitktl"
        "tntotrtstutvtyubucuduhujukulumunupurusutuvuzvavevivlvnvovrvsvuvyvzycylymyrysytyv"
        "zazdzezizkznzozszv"
    ),
    "sv": (
        "abacadafagaiakalamanaparasatauavbabebiblbobrbubycacechcickcodadddedidldndodrdsdu"
        "eaebecedefegeiekelemeneperesetevexfafefiflfofrftgagegggiglgngogrgsgtguhahehihohu"
        "iaicidieifigikiliminioirisitivjajejojukakekhkiklknkokrksktkulalbldleliljlklllmlo"
        "lsltlulvlymambmemimlmmmnmompmsmunandnengninknlnnnonsntnunvnyobocodofogokolomonop"
        "orosotouovpapepiplpoppprpsptrarbrdrerfrgrirkrlrmrnrorrrsrtrurvrysasbscseshsisjsk"
        "slsmsospssstsusvsytatethtitltntotrtstttutvtyuaubudugukulumunupurusutuvvavevivswa"
        "ydygyrys"
    ),
    "tl": (
        "aaabacadagahaiakalamanaoaparasatauawaybabebiblbobrbucacechcicodadedidodueaebedeg"
        "ehekelemeneoeresetgageggghgigkglgogpgrgsgtguhahehihohuiaibicidieigihikiliminioip"
        "irisitiwiykakiklkoksktkulalelilllolulymambmemgmimompmunandnengninonsntnunyobodog"
        "okolomonoooporosotoupapepipoprpurarerirnrorsrtrurysaseshsisostsusytatethtitotrtu"
        "uaubuguhukulumunupurusutviwawiyayeyo"
    ),
    "hu": (
        "abacadaeagahaiajakalamanaparasatauavazbabbbebibobrbucacechcicocsdadedidjdodsduea"
        "ebecedegeheiejekelemenepereseteuevezfafefifofrgagbgegigngogrgugyhahehihoiaibicid"
        "ieifigiiikiliminioipirisitiuivizjajejojtjukakbkekikkkokrksktkulaldlelglhliljlkll"
        "lmlnlolsltlulvlymambmemimompmunancndnengninknnnonsntnunyobocodofogoiojokolomonop"
        "orosotovozpapepiplpoprptpurarbrcrdrergrirkrmrnrorrrsrtrurvrzsasbsesisksmsospssst"
        "susztatbtethtitjtktltotrtstttutvuaudugukulumunurusutvavevivoyayeyiyoysyuzazezizl"
        "znzozsztzu"
    ),
    "fi": (
        "aaadaeahaiajakalamanaparasatauavaybabuchcodadedidoeaedeeeheiekelemeneoereseteuev"
        "figagegihahdhehihjhohthuiaicidieihiiijikiliminioipirisitivjajejojukakekikkkoksku"
        "kylalblelilklllmloltlulymamemimmmompmumynandnengninknnnonsntnunyoaodohoiojokolom"
        "onoooporosotouovpapepipoppprpurarerirjrkrmrorrrsrtrurvsasesisksossstsusvsytateth"
        "titktotrtstttutyuaudueuhuiukulumunuoupurusutuuuvvavevivovuyeyhykylymynyoysytyy"
    ),
    "ru": (
        "абавагадаеажазаиакаламанапарасатауафахацачаюаябабебиблбобрбубывавевивлвнвоврвсвт"
        "вувхвшвывягагегиглгогргудадвдедждидлдндодрдсдудыебевегедееежезеиекелеменеоеперес"
        "етехецечжажджежижнзазвздзезизмзнзозузыиаибивигидиеизииикилиминиоипириситихицичию"
        "иякаквкекжкиклкокркскткулалелилллолульлюлямамемимммнмомпмумымянангндненинкнннонс"
        "нтнунцныньняобовогодоеожозоиоколомонопоросотофохочояпапепиплпопппрпурарвргрдрери"
        "ркрмрнрорсртрурхрырясасвсесискслсмснсоспсрссстсусьсятатвтетитктнтотртстутытьтяуб"
        "угудуеужузукулумунупурусутучущуюфафефифофрхахихоцацецичачечичншашешиштщащещиывые"
        "ыиыкылымысыхьеьмьньсьшьюьяэтютющябявяеязямянятящ"
    ),
    "uk": (
        "абавагадажазаиакаламанапарасатауафахацачашаюаєаібабеблбобрбубівавдвевивлвнвовсвт"
        "вувігагеглгогргугідадедждидкдлдндодрдсдудіевегедежезеиекелеменеоепересетецеіжаже"
        "жижнзазвзезизмзнзозузьзіибивидизииикилиминиоипириситихицичкаквкекиклкокркскткукі"
        "лалелилолульлюлялімамемимомпмумінангндненинкнннонснтнунцньняніобовогодожозоколом"
        "онопоросотофохоцочоюоіпапепиплпопрпупіраргрдрериркрмрнрорсртрурхршрярісасвсесиск"
        "слснсоспстсусьсясітатвтетитктнтотртттутьтятіуаубувугудузукулумунупурусутуєфефофр"
        "фіхахнхохіцецицуцьцяцічачечичнчошашешишощоькьньоьсютядякямянятєвєтєюіаібівідіжіз"
        "іиікілімініоіпірісітіцічішіяієіі"
    ),
    "bg": (
        "абавагадазаиакаламанапарасатауафацачащбабебиблбобрбубщбъвавевивлвнвоврвсвтвъвяга"
        "гегиглгогрдадвдедждидндодрдсдудъебевегедежезеиекелеменеоепересетецечешещжажджежи"
        "жнзазвздзезизлзнзозпзтиаивигидиеизииикилиминиоипириситихицичиякаквкекиклкокркскт"
        "кукълалглелилклмлнлолслтлулюлямамвмемимнмомпмсмунангндненинкнннонснтнцняобовогод"
        "оеожозоиоколомонопоросотофочощояпапепиплпопрпупърарвргрдрержриркрмрнрорсртруръря"
        "сасвсесискслсмснсоспсрстсътатбтвтетитктнтотртстттутътяуаубувугудузукулумунупурус"
        "утучушфефифофрхахихоцацецичачечичншашешишнщащещиъвъгъзъкълъмънъръсътъщьоюцявянят"
    ),
    "el": (
        "αβαγαδαζαθαιακαλαμαναξαπαραςασαταυαφαχβαβεβιβοβργαγγγεγηγιγκγλγνγογργωδαδεδηδιδο"
        "δρδυεαεγεδεθειεκελεμενεξεοεπερεςεσετευεχεωζεζοηθηκηλημηνηρηςησητθεθηθοιαιγιδιειζ"
        "ικιλιμινιοιπιριςισιτιχιωκακεκηκικλκοκρκτκυκωλαλεληλιλλλολυλωμαμβμεμημιμμμομπνανδ"
        "νενηνινννοντνωογοδοεοιοκολομονοποροςοσοτουοφοχπαπεπηπιπλποπρπτραργρερηριρμρορτρυ"
        "ρχρωσασεσησισκσμσοσσστσυσωτατετητιτοτρτυτωυαυγυθυκυλυμυνυπυρυςυσυτφαφεφιφοχαχεχη"
        "χιχοχρχωωμωνωπωρωςωσωτ"
    ),
}
