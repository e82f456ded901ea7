"""The words the learned classifier treats specially, in the six languages it reads.

Data, kept apart from the featuriser (`_features.py`) that uses it: function words that
yield no feature, and words mapped onto one shared English concept so that what the model
learns from mostly English training data carries over to French, Spanish, German,
Portuguese and Chinese requests. Changing either changes the features, so the weights
must be retrained (scripts/train_analyser.py) and `_features.FORMAT_VERSION` bumped.
"""

from __future__ import annotations

# Function words of the six languages: they say which language a request is in, not what
# it asks for, and since the training data's languages are unevenly spread over the labels
# (most non-English items are maths or translation), a model that saw them would learn
# "French, so maths". They yield no feature at all.
_STOPWORD_TEXT = """
a an the and or of to in on at for with by from as is are was were be been it its this
that these those i you he she we they me my your our their his her them us do does did
can could would should will shall may might must not no yes if then so than there here
what which who whom whose when where why how all any some each every about into over le
la les l un une des du de d et ou à au aux en dans sur pour par avec sans ce cet cette
ces qui que qu quoi dont où est sont été être ont avez je tu il elle nous vous ils elles
te se mon ma mes ton ta tes son sa ses notre votre leur leurs ne pas plus y el los las
lo uno una unos unas del al o e es fue ser está están para por con sin este esta estos
estas ese esa yo tú él ella nosotros ustedes ellos mi mis tus su sus nuestro sí muy más
der die das dem den ein eine einen einem einer und oder zu im auf für mit von aus bei
ist sind war sein ich er sie wir ihr mein meine dein deine seine unser nicht kein keine
auch noch nur sehr mehr wie wer wo os um uma uns umas da dos na nos nas ao é são foi
estar com sem isso isto esse essa eu você ele ela nós eles elas meu minha seu sua não
sim mais muito 的 了 是 在 和 与 及 或 一个 这 那 我 我们 他 她 它 他们 吗 呢 吧 啊 也 都 就 把 被
"""

STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Each word of a Latin-script language names its concept; each token also keeps its own
# features. A word listed under two concepts belongs to the later one.
_CONCEPT_TEXT = {
    "write": (
        "write écris écrivez écrire rédige rédigez rédiger escribe escriba escribir redacta "
        "schreibe schreiben schreib verfasse escreva escrever redija compose compone componha "
        "draft writes writing rewrite écrivez-moi écris-moi rédigez-moi rédiges composez "
        "compose-moi composer escribe escríbeme escribid redacte redactar redáctame compón "
        "componer schreib schreibt verfassen verfassen formuliere formulieren escreve "
        "escreva-me escrevam redigir redige componha compor"
    ),
    "poem": (
        "poem poème poésie poema poesía poesia gedicht haiku sonnet soneto verse vers versos "
        "lyrics paroles letra poèmes poemas gedichte poesie reime rimas rimes strophe estrofa "
        "ode chanson canción canção lied song songtext"
    ),
    "story": (
        "story histoire conte récit historia cuento relato geschichte erzählung história conto "
        "narrative novel roman novela fiction ficción ficção tale stories histoires contes "
        "cuentos historias geschichten märchen kurzgeschichte nouvelle histórias contos romance "
        "scénario guion drehbuch roteiro screenplay script dialogue diálogo dialog"
    ),
    "essay": (
        "essay essai dissertation ensayo aufsatz redação ensaio blog article artículo artikel "
        "artigo post publication beitrag publicación publicação speech discours discurso rede "
        "essays essais ensayos aufsätze ensaios articles artículos artikeln artigos blogpost "
        "billet discursos reden palestra toast brindis trinkspruch brinde slogan eslogan "
        "werbetext annonce anuncio anzeige anúncio"
    ),
    "letter": (
        "letter email e-mail courriel lettre carta correo brief mail mensagem message mensaje "
        "nachricht letters lettres cartas briefe emails courriels correos mails invitation "
        "invitación einladung convite"
    ),
    "pretend": (
        "pretend imagine imaginez imagina imagine-se stell roleplay role rôle rol papel rolle "
        "act incarne personnage personaje personagem figur character pretending imaginons "
        "imaginez-vous imagine-toi imaginez imaginer imaginemos imagínate imagínese imaginar "
        "stellen vorstellen tue fais semblant finge finja fingir faz tu-es incarnez incarner "
        "interpreta interpretar interprete spiele spielen rollenspiel jeu-de-rôle juego "
        "personnage personnages personajes personagens persona rôles roles rollen papéis"
    ),
    "code": (
        "code código codigo programm program programme programa script function fonction "
        "función funktion função python javascript java sql html css bash c algorithm "
        "algorithme algoritmo algorithmus implement implémente implementa implementiere "
        "implemente bug debug compile coder codez codifica codificar programmieren programmiere "
        "programar programe programmer programmez functions fonctions funciones funktionen "
        "funções class classe clase klasse regex api script scripts skript"
    ),
    "summarise": (
        "summarize summarise summary résume résumez résumer résumé resume resumen resumir "
        "resuma resumo zusammenfassung zusammenfassen fasse tl tldr résumer résume-moi "
        "résumez-moi resumir resume resúmeme resumen zusammen zusammenfassen fasse fass resuma "
        "resumo resumir sintetize synthétise sintetiza"
    ),
    "extract": (
        "extract extrais extraire extrae extraer extraia extrair extrahiere extrahieren "
        "identify identifie identifica identifique identifiziere list liste lista enumerate "
        "classify classe classifie clasifica classifique klassifiziere json table tableau tabla "
        "tabela tabelle extraire extrayez extraiga extraer extrahieren extrair extraia classe "
        "classez clasifique klassifizieren classifique listez liste-moi enumera enumere "
        "aufzählen nenne"
    ),
    "text": (
        "text texte texto passage paragraph paragraphe párrafo parágrafo absatz document "
        "documento dokument following suivant suivante siguiente seguinte folgenden folgende "
        "below ci-dessous abajo abaixo unten"
    ),
    "translate": (
        "translate translation traduis traduire traduisez traduction traduce traducir "
        "traducción traduza traduzir tradução übersetze übersetzen übersetzung traduis-moi "
        "traduzca traduce tradúceme traduzir traduza übersetz übersetzt translated traduit "
        "traducido traduzido"
    ),
    "calculate": (
        "calculate calcule calculez calcular calcula berechne berechnen compute solve résous "
        "résoudre resuelve resolver resolva löse lösen equation équation ecuación equação "
        "gleichung combien cuántos cuántas quantos quantas wieviel sum somme suma soma summe "
        "probability probabilité probabilidad probabilidade wahrscheinlichkeit prove démontre "
        "demuestra demonstre beweise integral intégrale derivative dérivée derivada ableitung "
        "triangle triángulo triângulo dreieck area aire área fläche percent pourcentage "
        "porcentaje porcentagem prozent calculez calculer calculons calcula calcule calculen "
        "calcular berechne berechnet ausrechnen résolvez resolvez résolvons resuelva resuelvan "
        "resolve lös löse lösen number nombre número zahl numbers nombres números zahlen "
        "equations équations ecuaciones gleichungen equações probabilities probabilités "
        "probabilidades x y"
    ),
    "explain": (
        "explain explique expliquez expliquer explica explicar erkläre erklären describe décris "
        "décrivez describa descreva beschreibe why pourquoi porque qué warum what qu'est-ce "
        "quoi how comment cómo como wie difference différence diferencia diferença unterschied "
        "history histoire historia geschichte história explain explains explique-moi explícame "
        "explique-me erkläre erklär erklären expliquer explicar explicame describe décrivez-moi "
        "descríbeme beschreiben descrever descreve qu'est-ce quelle quel cuál cuáles qual quais "
        "welche welcher welches was porquê por qué"
    ),
    "suggest": (
        "suggest suggestions ideas idea advice recommend recommendations tips conseils "
        "conseille conseillez suggère suggérez idées recommande recommandez consejos sugiere "
        "sugerencias ideas recomienda recomiéndame tipps ratschläge vorschläge schlage empfiehl "
        "ideen dicas conselhos sugira sugestões ideias recomende"
    ),
    "plan": (
        "plan plans planning itinerary itinéraire planifie planifiez programme horario "
        "itinerario planea planifica plane planung reiseplan zeitplan plano roteiro planeje "
        "planejar"
    ),
    "create": (
        "create make generate invent crée créez créer génère générez invente inventez crea "
        "crear genera generar inventa inventar erstelle erstellen generiere erfinde erfinden "
        "crie criar gere gerar invente inventar"
    ),
    "hello": (
        "hello hi hey bonjour salut hola hallo olá oi thanks merci gracias danke obrigado "
        "obrigada bye ça geht tudo bem coucou bonsoir buenas buenos días tardes noches guten "
        "tag abend morgen tschüss boa tarde noite tchau adiós adieu au revoir hi hello"
    ),
    "you": ("you tu vous toi tú usted du sie você"),
}
_CJK_CONCEPT_TEXT = {
    "write": "写 撰写 编写 创作 起草",
    "poem": "诗 歌词",
    "story": "故事 小说",
    "essay": "文章 博客 演讲 作文 广告 文案 标语",
    "letter": "信 邮件",
    "pretend": "扮演 假设你是 你是一 角色 充当 担任 假装 想象",
    "code": "代码 函数 程序 算法 编程",
    "summarise": "总结 摘要 概括",
    "extract": "提取 抽取 列出 分类 识别",
    "text": "以下 文本 段落",
    "translate": "翻译",
    "calculate": "计算 多少 方程 求 证明 概率",
    "explain": "解释 为什么 什么 如何 怎么 描述 介绍 是谁 哪些 哪个",
    "suggest": "建议 推荐 想法 点子 技巧",
    "plan": "计划 规划 安排 行程",
    "create": "生成 创建 设计 制作",
    "hello": "你好 谢谢 再见",
    "you": "你 您",
}

CONCEPT_OF = {word: concept for concept, words in _CONCEPT_TEXT.items() for word in words.split()}
# Chinese has no spaces: a concept is present when one of its words occurs inside a token.
CJK_CONCEPTS = {concept: tuple(words.split()) for concept, words in _CJK_CONCEPT_TEXT.items()}
