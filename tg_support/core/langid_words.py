"""Language identification's text features: what code and noise look like, course jargon,
function words, letter hints and word endings per language (data for ``core.langid``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final


def wordset(words: str) -> frozenset[str]:
    """Whitespace-separated word list -> frozenset (keeps the long lists readable)."""
    return frozenset(words.split())


NOISE_RE: Final = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\S+|[@#/]\w+|`[^`]*`|\b\w+\.(?:py|csv|ipynb|txt|json)\b"
)
# Code identifiers (ASCII only, so a Han/Cyrillic letter glued to them is kept): CamelCase
# (``ModuleNotFoundError``, ``groupBy``), snake_case, dotted names (``df.merge``, ``np.array()``),
# calls (``fit(X, y)``), words with digits (``lab3``, ``h5py``), file names. They say nothing
# about the writer's language and are removed before any counting or scoring.
A: Final = "A-Za-z0-9_"
IDENT_RE: Final = re.compile(
    rf"(?<![{A}.])(?:"
    rf"[A-Za-z_][{A}]*(?:\.[A-Za-z_][{A}]*)+(?:\([^)]*\))?"  # dotted, optional call
    rf"|[A-Za-z_][{A}]*\([^)]*\)"  # call
    rf"|[A-Za-z0-9]*[a-z][A-Z][{A}]*"  # camelCase / CamelCase
    rf"|[A-Za-z0-9]*_[{A}]*"  # snake_case
    rf"|(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]+"  # letters + digits
    rf")(?![{A}])"
)
WORD_RE: Final = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
LATIN_WORD_RE: Final = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")

# English course/tech jargon that learners drop into any language. Removed before the
# statistical models run (only when enough other words remain).
JARGON: Final[frozenset[str]] = wordset(
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
WORDS: Final[Mapping[str, frozenset[str]]] = {
    "en": wordset(
        """
        the and is are was were you your my i i'm im it's its what why how when where who does
        do did can could would should anyone someone thanks thank please help stuck got this that
        with of to in on have has not don't can't didn't i've here same just about any there
        lol idk tbh omg thx nvm gonna wanna u ur rn smh fr
        """
    ),
    "es": wordset(
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
    "pt": wordset(
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
    "fr": wordset(
        """
        le la les des du de et est c'est je j'ai tu il elle on nous vous ils que qui quoi
        pas ne n'est comment quand où pourquoi quelqu'un qqn merci avec pour sur dans un une
        mon ma mes ce cette ça ca suis ai avez faut peut bonjour slt salut mdr ptdr jsp
        g tkt frero ouais bon ben pareil aussi trop très vraiment d'accord
        """
    ),
    "de": wordset(
        """
        der die das den dem des und ist sind ich du er sie es wir ihr nicht kein keine
        was wie wann wo warum wer weiß weiss jemand hat habe haben mit für fuer auf von zu
        im ein eine einen mein meine danke bitte auch schon noch mal echt leute hey boah
        nichts mir mich dir dich bei nach aus oder aber geht gibt kann muss soll
        """
    ),
    "id": wordset(
        """
        yang dan di ke dari ini itu ada apa apakah bagaimana gimana kenapa kapan dimana
        mana saya aku kamu kalian dia kami kita tidak gak ga nggak enggak belum sudah udah
        sudah bisa mau akan sama juga dengan untuk pada karena tapi tp kalau kalo yg dgn
        terima kasih makasih bro guys deh nih sih dong kok banget bgt aja saja wkwk wkwkwk
        semua sekali lagi harus seseorang tolong
        """
    ),
    "tr": wordset(
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
HI_STRONG: Final[frozenset[str]] = wordset(
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
HI_WEAK: Final[frozenset[str]] = (
    wordset(
        "ka ki ke ko se pe par ho ye to na hi tak kal din ji do de le main mai me log kam ek "
        "kar bol sun char ya wo han mein lagi toh dost fark dikkat kafi isme tab jab ache mile hone "
        "karen bas ab hu pura kari kia sake fir mat lage dene jati diye tum"
    )
    - HI_STRONG  # keep the sets disjoint: a word of both lists is strong
)

# Letters that are strong evidence for one language (or a small set) within Latin script.
LETTER_HINTS: Final[Mapping[str, Mapping[str, float]]] = {
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
SUFFIXES: Final[Mapping[str, tuple[str, ...]]] = {
    "tr": ("yor", "yorum", "yoruz", "ıyor", "iyor", "uyor", "üyor", "ecek", "acak", "mıyor",
           "miyor", "ları", "leri", "lar", "ler", "mak", "mek", "sınız", "siniz", "dım"),
    "id": ("nya", "kan", "lah"),
    "es": ("ción", "ciones", "cion", "dad"),
    "pt": ("ção", "ções", "cao", "coes", "dade", "ões", "inho", "inha"),
    "de": ("ung", "keit", "lich", "chen"),
}  # fmt: skip

# word -> the languages whose function words include it
WORD_OWNERS: Final[Mapping[str, tuple[str, ...]]] = {
    w: tuple(lang for lang, vocab in WORDS.items() if w in vocab)
    for w in frozenset().union(*WORDS.values())
}

# Letters that only one of our Latin-script languages uses: clear evidence, priors cannot win.
DECISIVE: Final[Mapping[str, str]] = {
    "¿": "es", "¡": "es", "ñ": "es", "ã": "pt", "õ": "pt", "ß": "de", "ä": "de",
    "ı": "tr", "ğ": "tr", "ş": "tr", "İ": "tr", "è": "fr", "ù": "fr", "œ": "fr",
}  # fmt: skip

UK_LETTERS: Final[frozenset[str]] = frozenset("іїєґ")
RU_LETTERS: Final[frozenset[str]] = frozenset("ыэъё")
# Words that exist (in this spelling) in only one of the two languages. Many frequent
# Ukrainian words have none of "і ї є ґ" (що, як, чи, ви, теж, можна, дякую...), and many
# Russian ones none of "ы э ъ ё" (что, как, но, меня, можно, спасибо...). Shared words (тут,
# там, так, все, для, знаю, тест, курс...) are deliberately absent.
UK_WORDS: Final[frozenset[str]] = wordset(
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
RU_WORDS: Final[frozenset[str]] = wordset(
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
UK_ENDINGS: Final[tuple[str, ...]] = (
    "ати", "ити", "ути", "тися", "ння", "ннях", "емо", "ймо", "лася", "лися",
)  # fmt: skip
RU_ENDINGS: Final[tuple[str, ...]] = ("ние", "ния", "нии", "ать", "ять", "ешь")
# Prefix ви- before a consonant (Russian вы-): вилазить, вихідні, виконати, вибрати.
UK_PREFIXES: Final[tuple[str, ...]] = (
    "вик", "вил", "вип", "вих", "вим", "виб", "виг", "вит", "виш", "вив", "вич",
)  # fmt: skip
UK_ENDING_EXCEPTIONS: Final[frozenset[str]] = wordset("кстати пути сути прости")
APOSTROPHE_CYR_RE: Final = re.compile(r"[а-яіїєґ]['’ʼ][а-яіїєґ]")
