"""Search tokenization (pure): words per script, Latin folding, Arabic normalisation,
Chinese runs, stop words and light stemming per language, and the typo distance."""

from __future__ import annotations

import re
import unicodedata

LATIN_LANGS = frozenset({"en", "es", "pt", "fr", "de", "id", "tr"})

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Word characters plus the combining marks that \w does not match (Devanagari matras and
# virama, Arabic harakat, Latin combining accents).
WORD_RE = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u0900-\u097f\u064b-\u065f\u0670])+")
HAN_SPLIT_RE = re.compile(f"([{HAN}]+)")
ARABIC_DIACRITICS_RE = re.compile(r"[\u064b-\u065f\u0670\u0640]")  # harakat, dagger alef, tatweel
ARABIC_MAP = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"}
)

# Chinese: particles and pronouns that split a Han run before bigramming.
ZH_STOP_CHARS = frozenset("的了吗呢吧啊呀嘛我你他她它是在和也都就很还这那")
# Question words and fillers, removed (as a split point) before the particles.
ZH_STOP_PHRASES = re.compile(
    "为什么|怎么办|怎么样|怎么|什么|如何|请问|大家|有没有|一下|谁知道|可以|能不能|是否"
)


def script_of(token: str) -> str:
    """'latin' (also digits), 'cyrillic', 'arabic', 'deva' by the token's first letter."""
    for ch in token:
        o = ord(ch)
        if 0x0400 <= o <= 0x04FF:
            return "cyrillic"
        if 0x0600 <= o <= 0x06FF:
            return "arabic"
        if 0x0900 <= o <= 0x097F:
            return "deva"
        if ch.isalpha():
            return "latin"
    return "latin"


def fold_latin(token: str) -> str:
    decomposed = unicodedata.normalize("NFD", token)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("ß", "ss").replace("ı", "i").replace("ø", "o").replace("æ", "ae")


def norm_arabic(token: str) -> str:
    return ARABIC_DIACRITICS_RE.sub("", token).translate(ARABIC_MAP)


STOP_RAW: dict[str, str] = {
    "en": """a an the is are was were be been being am do does did doing done i me my mine you your
        we our us it its this that these those to of in on for at by with from and or but if how
        what when where why which who whom can could should would will shall may might must not no
        so as about into than then there here have has had get got any some just also very too
        please hi hello hey thanks thank anyone someone anybody know help guys im ive dont cant
        isnt doesnt didnt wont it's i'm does there's one all out up my myself he she they them
        their his her ok okay still yet again even""",
    "es": """el la los las un una unos unas de del al a en y e o u que es son se lo le les mi mis
        tu tus su sus por para con sin como cuando donde porque pero no si ya me te nos hay esta
        este esto estoy esa ese eso tengo puedo hola gracias alguien alguno algun muy mas ser
        fue era yo cual cuales quien que sobre tambien otra otro ni hasta desde entre hace
        porfa favor saben sabe alguna puede pueden""",
    "pt": """o a os as um uma uns umas de do da dos das em no na nos nas e ou que se meu minha
        meus minhas para pra por com sem como quando onde porque mas nao sim ja eu voce voces tem
        tenho posso ola oi obrigado obrigada alguem algum alguma muito mais ser foi era isso isto
        esse essa este esta ao aos sobre tambem ate entre me te seu sua pelo pela alguém gente
        sabe sabem pode""",
    "fr": """le la les un une des de du d l au aux et ou que qui est sont se s ce c cet cette ces
        mon ma mes ton ta tes son sa ses pour par avec sans comment quand pourquoi mais ne n pas
        je j tu il elle nous vous on ai a as y en bonjour salut merci quelqu quelque qu est-ce
        suis etre ete plus tres dans sur me m te t moi toi leur leurs quoi si ca cela
        svp aide""",
    "de": """der die das den dem des ein eine einen einem einer und oder ist sind bin ich du er
        sie es wir ihr wie was wann wo warum nicht mit von zu im in auf fur an am bei aus mein
        meine dein kann konnen hallo danke bitte jemand auch noch schon habe hat haben""",
    "id": """yang dan di ke dari ini itu saya aku apa bagaimana gimana kapan tidak nggak gak
        dengan untuk ada bisa apakah kenapa mengapa halo terima kasih tolong sudah belum""",
    "tr": """bir ve ile bu su ne nasil neden ben sen o biz mi mu icin de da ki ama veya merhaba
        tesekkurler nerede zaman""",
    "ru": """и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по
        только ее мне было вот от меня еще нет о из ему когда даже ну ли если уже или ни быть
        был него до вас нибудь уж вам ведь там потом себя ничего ей они тут где есть ней для мы
        тебя их чем была сам чтоб без чего раз тоже себе под будет ж тогда кто этот того потому
        этого какой здесь этом мой тем чтобы нее сейчас были куда зачем всех при об хоть после
        над тот через эти нас про всего них какая разве эту моя свою этой перед том такой им
        всю привет спасибо подскажите пожалуйста кто-нибудь это мой моего моем можно как-то""",
    "uk": """і й та що як це на не я у в з до чи мені мене ти ви він вона вони ми його її їх
        для але або від за по при про коли де чому який яка яке які вже ще так так тут там
        є був була було були буде привіт дякую будь ласка хтось""",
    "hi": """है हैं था थे थी का की के को में मैं से और या क्या कैसे कब कहाँ कहां क्यों यह वह ये
        वो हम आप तुम मेरा मेरी मेरे अपना अपनी अपने पर भी तो नहीं ना ही एक कोई कुछ जो कि हो होता
        होती होते रहा रही रहे गया गई गए कर करें करना करूँ करूं सकता सकती सकते मुझे मुझको हमें
        इस उस किसी कृपया धन्यवाद नमस्ते जी
        hai hain tha the thi ka ki ke ko mein me main se aur ya kya kaise kab kahan kyun kyon
        yeh ye woh vo hum aap tum mera meri mere apna apni apne par bhi to nahi nahin na hi ek
        koi kuch jo ho hota hoti raha rahi rahe gaya gayi kar karu karna karein sakta sakti
        mujhe hume is us kisi bhai yaar please plz pls lekin magar hua hui hue gaya gaye gayi kare
        karte karta karti bahut sab abhi phir kyunki agar liye wala wali wale""",
    "ar": """في من على الى إلى عن ما ماذا هل كيف متى لماذا اين أين هذا هذه ذلك تلك التي الذي
        الذين و او أو ثم لا لم لن انا أنا انت أنت هو هي نحن هم كان يكون مع عند كل بعض قد لقد ان
        إن أن شكرا مرحبا السلام عليكم يا احد أحد اي أي لي بي عندي ممكن هناك كنت""",
}


def fold_stop(word: str) -> str:
    s = script_of(word)
    if s == "latin":
        return fold_latin(word)
    if s == "arabic":
        return norm_arabic(word)
    if s == "cyrillic":
        return word.replace("ё", "е")
    return word


STOP_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(fold_stop(w) for w in words.lower().split())
    for lang, words in STOP_RAW.items()
}
# Latin tokens inside non-Latin-language text are mostly English technical words.
LATIN_STOP_FOR: dict[str, frozenset[str]] = {
    "hi": STOP_WORDS["hi"] | STOP_WORDS["en"],
}

# Suffixes stripped once (longest match first), keeping a stem of at least MIN_STEM chars.
# fmt: off
SUFFIXES: dict[str, tuple[str, ...]] = {
    "es": ("aciones", "amiento", "imiento", "acion", "ciones", "cion", "mente", "ando",
           "iendo", "ados", "idos", "adas", "idas", "ado", "ido", "ada", "ida", "ar", "er", "ir",
           "es", "as", "os", "a", "o", "e", "s"),
    "pt": ("acoes", "amento", "imento", "acao", "coes", "cao", "mente", "ando", "endo", "indo",
           "ados", "idos", "adas", "idas", "ado", "ido", "ada", "ida", "ar", "er", "ir", "oes",
           "aes", "es", "as", "os", "a", "o", "e", "s"),
    "fr": ("ations", "ation", "ements", "ement", "ees", "ee", "es", "er", "ez", "e", "s", "x"),
    "de": ("ungen", "ung", "en", "er", "es", "e", "n", "s"),
    "ru": ("ями", "ами", "ого", "его", "ему", "ому", "ыми", "ими", "ией", "иям", "иях", "ость",
           "ться", "ится", "ется", "ются", "ает", "яет", "ают", "яют", "ует", "уют", "ешь", "ете",
           "ать", "ять", "ить", "еть",
           "ой", "ей", "ий", "ый", "ая", "яя", "ое", "ее", "ые", "ие", "ом", "ем", "ам", "ям",
           "ах", "ях", "ую", "юю", "ов", "ев", "а", "я", "о", "е", "ы", "и", "у", "ю", "ь", "й"),
    "uk": ("ями", "ами", "ого", "ому", "ими", "ість", "ться", "ти", "ють", "ать", "ить",
           "ий", "ій", "ої", "ою", "ом", "ем", "ам", "ям", "ах", "ях", "ів", "ї", "і", "а", "я",
           "о", "е", "и", "у", "ю", "ь", "й"),
    "hi": ("ाएंगे", "ाएँगे", "ाऊंगा", "ाऊँगा", "ियों", "ियाँ", "ियां", "ाओं", "ाएं", "ाएँ", "ने", "ना",
           "नी", "ता", "ती", "ते", "ों", "ें", "ां", "ाँ", "ो", "े", "ू", "ु", "ी", "ि", "ा"),
    "ar": ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"),
}
# fmt: on
MIN_STEM = {"hi": 2, "ar": 2}
AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
UNDOUBLE_KEEP = frozenset("lsaeiou")


def stem_en(w: str) -> str:
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "ches", "shes", "xes", "zes")) and len(w) > 4:
        w = w[:-2]
    elif w.endswith("ing") and len(w) >= 6:
        w = w[:-3]
    elif w.endswith("ed") and len(w) >= 5:
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) >= 4:
        w = w[:-1]
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in UNDOUBLE_KEEP:
        w = w[:-1]  # submitt -> submit, quizz -> quiz
    if w.endswith("e") and len(w) >= 5:
        w = w[:-1]  # grade/graded/grading -> grad
    return w


def stem(word: str, lang: str) -> str:
    if lang == "en":
        return stem_en(word)
    if lang == "ar":
        for p in AR_PREFIXES:
            if word.startswith(p) and len(word) - len(p) >= 2:
                word = word[len(p) :]
                break
        else:
            if word.startswith("و") and len(word) > 3:
                word = word[1:]
    suffixes = SUFFIXES.get(lang)
    if not suffixes:
        return word
    min_stem = MIN_STEM.get(lang, 3)
    for suf in suffixes:
        if word.endswith(suf) and len(word) - len(suf) >= min_stem:
            return word[: -len(suf)]
    return word


def han_tokens(run: str) -> list[str]:
    out: list[str] = []
    piece: list[str] = []
    run = ZH_STOP_PHRASES.sub("的", run)
    for ch in [*run, "的"]:  # sentinel flushes the last piece
        if ch in ZH_STOP_CHARS:
            if len(piece) == 1:
                out.append(piece[0])
            else:
                out.extend(piece[i] + piece[i + 1] for i in range(len(piece) - 1))
            piece = []
        else:
            piece.append(ch)
    return out


def word_token(tok: str, lang: str) -> str | None:
    script = script_of(tok)
    if script == "latin":
        tok = fold_latin(tok)
        rules = lang if lang in LATIN_LANGS else "en"
        stops = LATIN_STOP_FOR.get(lang) or STOP_WORDS.get(rules, frozenset())
        if len(tok) < 2 and not tok.isdigit():
            return None
        if tok in stops:
            return None
        return stem(tok, rules)
    if script == "cyrillic":
        tok = tok.replace("ё", "е")
        rules = lang if lang in ("ru", "uk") else "ru"
        if tok in STOP_WORDS[rules] or len(tok) < 2:
            return None
        return stem(tok, rules)
    if script == "arabic":
        tok = norm_arabic(tok)
        if tok in STOP_WORDS["ar"] or len(tok) < 2:
            return None
        return stem(tok, "ar")
    # Devanagari
    if tok in STOP_WORDS["hi"]:
        return None
    return stem(tok, "hi")


def tokenize(text: str, lang: str) -> list[str]:
    """Index/query terms of ``text`` in language ``lang`` (order kept, duplicates kept)."""
    lang = lang.lower().split("-")[0]
    text = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    for match in WORD_RE.finditer(text):
        for part in HAN_SPLIT_RE.split(match.group()):
            if not part:
                continue
            if "\u3400" <= part[0] <= "\u9fff" or "\uf900" <= part[0] <= "\ufaff":
                out.extend(han_tokens(part))
                continue
            term = word_token(part, lang)
            if term:
                out.append(term)
    return out


def is_latin(term: str) -> bool:
    return "a" <= term[0] <= "z" or term[0].isdigit()


def typo_eligible(term: str) -> bool:
    return len(term) >= 4 and script_of(term) in ("latin", "cyrillic") and not term.isdigit()


def max_typos(term: str) -> int:
    return 2 if len(term) >= 7 else 1


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]
