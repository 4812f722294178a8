"""Varied, noisy posts for `training.csv`: composed from parts, then roughened like real timelines.

The first training set was clean templates, so the classifiers learnt our phrasing instead of
sentiment. Here each post is built from several independent parts (situation, verdict, demand,
sarcasm, thanks, questions, news-like posts), and then roughened the way people write: no accents,
lower case, slang spellings (q, xq, tb / u, pls, thx), typos, stretched letters, shouting, emojis,
@handles, links and hashtags. Every phrase is our own. Used by `make_training.py`.
"""

from __future__ import annotations

import random
import re
import unicodedata

ES = {
    "brand": [
        "@VuelaYa",
        "@AeroIbera",
        "@MovilSur",
        "@FibraPlus",
        "@TiendaHogar",
        "@LowCostAir",
        "@TrenRapido",
        "@EnergiaClara",
        "@BancoRed",
        "@PaqueteExpress",
        "@AirSol",
        "@ModaMax",
    ],
    "city": [
        "Madrid",
        "Barcelona",
        "Sevilla",
        "Bilbao",
        "Valencia",
        "Málaga",
        "Tenerife",
        "Gran Canaria",
        "Palma",
        "Ibiza",
        "Santiago",
        "Asturias",
        "A Coruña",
        "Lanzarote",
        "Londres",
        "París",
        "Roma",
        "Lisboa",
        "Ámsterdam",
        "Buenos Aires",
        "México",
        "Bogotá",
        "Nueva York",
        "Berlín",
    ],
    "n": ["2", "3", "4", "5", "6", "dos", "tres", "cuatro", "cinco", "doce", "veinte"],
    "mins": ["20 minutos", "45 minutos", "una hora", "hora y media", "dos horas", "tres horas", "40 min"],
    "month": ["enero", "marzo", "abril", "mayo", "junio", "julio", "septiembre", "octubre", "diciembre"],
    "day": [
        "el lunes",
        "el martes",
        "el jueves",
        "el viernes",
        "el sábado",
        "el domingo",
        "ayer",
        "hoy",
        "esta mañana",
        "esta noche",
        "anoche",
    ],
    "topic": [
        "la sanidad pública",
        "la vivienda",
        "el empleo juvenil",
        "las pensiones",
        "la educación",
        "el cambio climático",
        "la despoblación rural",
        "los presupuestos",
        "la igualdad",
        "el transporte público",
        "la dependencia",
        "las energías renovables",
        "el turismo",
    ],
    "group": [
        "los vecinos de {city}",
        "las asociaciones de mayores",
        "los agricultores",
        "el equipo",
        "los compañeros del grupo",
        "los sindicatos",
        "los estudiantes",
        "los autónomos",
    ],
}

EN = {
    "brand": [
        "@FlyNorth",
        "@SkyWays",
        "@JetLineAir",
        "@FiberPlus",
        "@MobiCell",
        "@ShopMart",
        "@RailCo",
        "@BlueSkyAir",
        "@ParcelNow",
        "@PowerGrid",
        "@CityBank",
        "@HomeStore",
    ],
    "city": [
        "Denver",
        "Chicago",
        "Boston",
        "Newark",
        "Houston",
        "Dallas",
        "Phoenix",
        "Seattle",
        "LAX",
        "JFK",
        "Vegas",
        "Orlando",
        "Miami",
        "Atlanta",
        "Nashville",
        "Austin",
        "Heathrow",
        "Manchester",
        "Leeds",
        "Glasgow",
        "Bristol",
        "Philly",
        "DC",
        "SFO",
    ],
    "n": ["2", "3", "4", "5", "6", "two", "three", "four", "five", "twelve", "20"],
    "mins": ["20 minutes", "45 mins", "an hour", "an hour and a half", "two hours", "3 hrs", "40 min"],
    "month": ["January", "March", "April", "May", "June", "July", "September", "October", "December"],
    "day": [
        "on Monday",
        "on Tuesday",
        "on Thursday",
        "on Friday",
        "this weekend",
        "yesterday",
        "today",
        "this morning",
        "tonight",
        "last night",
    ],
    "topic": [
        "the NHS",
        "housing",
        "youth jobs",
        "pensions",
        "schools",
        "climate change",
        "rural buses",
        "the budget",
        "child poverty",
        "public transport",
        "social care",
        "renewable energy",
        "small businesses",
    ],
    "group": [
        "residents in {city}",
        "local carers",
        "farmers",
        "the team",
        "our volunteers",
        "nurses",
        "students",
        "small business owners",
    ],
}

# ---------------------------------------------------------------- negative: complaints
NEG_SITUATION = {
    "es": [
        "{mins} de retraso y nadie informa",
        "vuelo cancelado a última hora",
        "me habéis perdido la maleta",
        "la maleta ha llegado rota",
        "me habéis cobrado dos veces el mismo recibo",
        "la factura viene con {n}0 euros de más",
        "sin cobertura en {city} {day}",
        "sin internet desde {day}",
        "llevo {mins} esperando al teléfono",
        "nadie contesta los correos",
        "me habéis dejado tirada en {city}",
        "overbooking y me quedo en tierra",
        "cambio de puerta sin avisar y perdemos el vuelo",
        "el pedido sigue sin llegar",
        "el paquete llegó abierto",
        "la app no funciona otra vez",
        "me cobran permanencia que nadie me explicó",
        "el reembolso no llega nunca",
        "me cambiaron el vuelo sin avisar",
        "colas eternas en facturación",
        "me hacen pagar por la maleta de mano",
        "el tren lleva parado {mins} en mitad de la nada",
        "se cae la fibra cada dos por tres",
        "la conexión va lentísima",
        "perdí el enlace por vuestro retraso",
        "aún espero la indemnización",
        "el asiento no se reclina y el aire no funciona",
        "el chat me manda de un agente a otro",
        "han subido la tarifa sin avisar",
        "no me dejan embarcar con la maleta de siempre",
        "me han cortado la luz por un error vuestro",
        "el técnico no se presentó",
        "la web da error al pagar",
        "llevo {n} días sin línea",
        "el vuelo de {city} sale con {mins} de retraso",
        "me han cancelado la reserva del hotel sin motivo",
        "el cargo de {n}9 euros no lo reconozco",
        "no me han devuelto el dinero de la devolución",
        "hemos aterrizado y las maletas no aparecen",
        "nos tienen encerrados en el avión sin aire acondicionado",
        "otra vez sin servicio",
    ],
    "en": [
        "{mins} delay and no updates",
        "flight cancelled last minute",
        "you lost my bag",
        "my suitcase arrived broken",
        "you charged me twice for the same bill",
        "my bill is ${n}0 higher than it should be",
        "no signal in {city} since {day}",
        "internet down since {day}",
        "been on hold for {mins}",
        "nobody answers the emails",
        "stranded in {city} with no help",
        "overbooked and bumped off my flight",
        "gate change with no announcement and we missed the flight",
        "my order still hasn't arrived",
        "package showed up opened",
        "the app is down again",
        "hit with a cancellation fee nobody mentioned",
        "still waiting on my refund",
        "you changed my flight without telling me",
        "endless line at check in",
        "charged me for a carry on",
        "stuck on the tarmac for {mins}",
        "wifi keeps dropping every hour",
        "speeds are painfully slow",
        "missed my connection because of your delay",
        "still no compensation",
        "seat broken and no AC",
        "customer service keeps transferring me",
        "raised my plan price without notice",
        "wouldn't let me board with my usual bag",
        "technician never showed up",
        "website errors at checkout",
        "{n} days without a phone line",
        "the {city} flight is delayed {mins}",
        "rebooked me 2 days later",
        "charge of ${n}9 I never made",
        "still no refund for the return",
        "we landed and no bags",
        "kept us on the plane with no air",
        "no service again",
        "hung up on me after {mins} on hold",
        "my flight attendant was rude",
        "the crew ignored us the whole flight",
    ],
}
NEG_VERDICT = {
    "es": [
        "vergonzoso",
        "lamentable",
        "es una vergüenza",
        "de risa",
        "qué desastre",
        "inaceptable",
        "penoso",
        "nunca más",
        "qué asco de servicio",
        "estoy harta",
        "estoy harto",
        "menuda broma",
        "es increíble",
        "no hay derecho",
        "pésimo servicio",
        "qué poca vergüenza",
        "me tenéis frito",
        "indignada",
        "qué cachondeo",
        "vaya tela",
        "de chiste",
        "así no se trata a un cliente",
        "cero profesionalidad",
        "no tenéis vergüenza",
        "lo peor",
        "me arrepiento de haberos elegido",
        "qué decepción",
        "cada vez peor",
        "menuda estafa",
        "un horror",
        "tercermundista",
        "qué rabia",
        "fatal",
    ],
    "en": [
        "disgraceful",
        "pathetic",
        "unacceptable",
        "a joke",
        "what a mess",
        "ridiculous",
        "never again",
        "worst airline ever",
        "so frustrated",
        "I'm done",
        "unbelievable",
        "terrible service",
        "zero accountability",
        "shameful",
        "sick of this",
        "absolutely awful",
        "not ok",
        "so disappointed",
        "this is a scam",
        "horrible",
        "worse every time",
        "no excuse",
        "furious",
        "fail",
        "beyond annoyed",
        "thanks for ruining my trip",
        "embarrassing",
        "how is this acceptable",
    ],
}
NEG_DEMAND = {
    "es": [
        "¿alguien me va a dar una solución?",
        "quiero una respuesta ya",
        "exijo la devolución",
        "devolvedme mi dinero",
        "voy a reclamar",
        "pondré una hoja de reclamaciones",
        "dadme una explicación",
        "¿a quién tengo que llamar?",
        "¿hasta cuándo?",
        "¿de verdad nadie sabe nada?",
        "me doy de baja",
        "me cambio de compañía",
        "¿y ahora qué hago?",
    ],
    "en": [
        "can someone please help?",
        "I want an answer now",
        "I want my money back",
        "refund me",
        "filing a complaint",
        "explain this",
        "who do I even call?",
        "how long is this going to take?",
        "does anyone there know anything?",
        "cancelling my account",
        "switching providers",
        "now what?",
        "DM me a fix or I'm done",
    ],
}
SARCASM = {
    "es": [
        "Genial, {sit}. Gracias {brand}",
        "Me encanta cuando {sit}",
        "Otro día más {sit}, qué maravilla",
        "Gracias por nada {brand}",
        "Bravo {brand}, {sit}. Sois unos cracks 👏👏",
        "Qué buen servicio, {sit} 🙃",
        "Pues nada, {sit}. Todo genial como siempre",
        "{sit}. Enhorabuena, lo habéis conseguido",
        "Felicidades {brand}, {sit} 🙃",
        "Nada como empezar las vacaciones así: {sit}",
    ],
    "en": [
        "Great, {sit}. Thanks {brand}",
        "Love it when {sit}",
        "Another day, {sit}. Wonderful",
        "Thanks for nothing {brand}",
        "Well done {brand}, {sit}. Real pros 👏👏",
        "Awesome service, {sit} 🙃",
        "Oh good, {sit}. Perfect as always",
        "{sit}. Congrats, you did it again",
        "Thanks {brand}, {sit} 🙃",
        "Nothing like starting a vacation with {sit}",
    ],
}
MIXED_NEG = {
    "es": [
        "El vuelo bien, pero {sit}",
        "La tripulación muy maja pero {sit}",
        "Buen precio, pero {sit}",
        "Todo iba bien hasta que {sit}",
    ],
    "en": [
        "Flight was fine but {sit}",
        "Crew was nice but {sit}",
        "Good price but {sit}",
        "Everything was ok until {sit}",
    ],
}
# ---------------------------------------------------------------- neutral: questions and information
QUESTION = {
    "es": [
        "a qué hora sale el vuelo a {city}",
        "se puede llevar la maleta de cabina a {city}",
        "cómo cambio el nombre de la reserva",
        "hay algún problema con la web",
        "dónde veo el estado del vuelo",
        "cuánto cuesta facturar una maleta",
        "puedo cambiar la fecha del billete",
        "tenéis vuelo directo a {city}",
        "qué documentación hace falta para viajar a {city}",
        "hasta cuándo dura la oferta",
        "la tarifa incluye roaming en {city}",
        "el check in online se abre cuántas horas antes",
        "cómo pido la factura",
        "dónde recojo el pedido",
        "se puede pagar con bizum",
        "hay wifi a bordo",
        "puedo llevar el carrito del bebé",
        "cuál es el teléfono de atención al cliente",
        "la tienda de {city} abre el domingo",
        "qué velocidad tiene la fibra de 600",
        "cómo activo los datos en el extranjero",
        "se puede viajar con mascota en cabina",
        "a qué terminal llegan los vuelos de {city}",
        "cuándo empiezan las rebajas",
        "me podéis decir el horario de {city}",
        "el vuelo de {city} va con retraso",
    ],
    "en": [
        "what time does the {city} flight leave",
        "can I bring a carry on to {city}",
        "how do I change the name on my booking",
        "is the website down",
        "where can I check my flight status",
        "how much is a checked bag",
        "can I change the date on my ticket",
        "do you fly direct to {city}",
        "what documents do I need to fly to {city}",
        "when does the sale end",
        "does my plan include roaming",
        "how early does online check in open",
        "how do I get a copy of my invoice",
        "where do I pick up my order",
        "can I pay with PayPal",
        "is there wifi on board",
        "can I bring a stroller",
        "what's the customer service number",
        "is the {city} store open Sunday",
        "what speed is the 600 plan",
        "how do I turn on data abroad",
        "can my dog fly in the cabin",
        "which terminal do {city} flights arrive at",
        "when does the sale start",
        "any news on the {city} flight",
        "is the {city} flight on time",
    ],
}
Q_OPEN = {
    "es": [
        "",
        "",
        "Hola, ",
        "Buenas, ",
        "Una pregunta: ",
        "Hola {brand}, ",
        "{brand} ",
        "Perdonad, ",
        "Alguien sabe ",
        "Buenos días, ",
    ],
    "en": [
        "",
        "",
        "Hi, ",
        "Hey ",
        "Quick question: ",
        "Hi {brand} ",
        "{brand} ",
        "Hello, ",
        "Does anyone know ",
        "Morning, ",
    ],
}
INFO = {
    "es": [
        "{brand} anuncia nueva ruta {city}-{city2} a partir de {month}",
        "A partir del {n} de {month} cambia el horario",
        "Ya en {city}",
        "Esperando en la puerta de embarque",
        "Mañana salgo para {city}",
        "Primera vez que vuelo con {brand}",
        "Cambiando de compañía de móvil, ya os contaré",
        "Embarcando rumbo a {city}",
        "Vuelo {brand} {city}-{city2}, allá vamos",
        "Hoy toca mudanza y alta de la fibra",
        "Aquí en la cola de facturación",
        "Comparando tarifas de móvil",
        "Aterrizamos en {city}",
        "Comunicado sobre los vuelos de {day}",
        "Nuevo horario de atención al cliente desde {month}",
        "Hoy debate en el pleno sobre {topic}",
        "Esta tarde intervengo en la comisión de {topic}",
        "Reunión con {group} para hablar de {topic}",
        "Os dejo la entrevista de esta mañana sobre {topic}",
        "Mañana presentamos la propuesta sobre {topic}",
        "Hoy visitamos {city} para hablar de {topic}",
        "RT @user: Nueva convocatoria de ayudas para {topic}",
        "El ministerio publica los datos de {topic}",
        "En directo la rueda de prensa sobre {topic}",
        "Recordad que {day} hay huelga de controladores",
        "Os dejo el enlace con la información",
        "Entrevista completa aquí",
        "Seguimos trabajando",
        "{brand} actualiza su política de equipaje de mano",
        "Leyendo las condiciones del contrato",
    ],
    "en": [
        "{brand} announces a new {city}-{city2} route starting in {month}",
        "New schedule from {month}",
        "Just landed in {city}",
        "Waiting at the gate",
        "Flying to {city} tomorrow",
        "First time flying {brand}",
        "Switching phone carriers, will report back",
        "Boarding for {city}",
        "{brand} {city} to {city2}, here we go",
        "Moving day, getting the internet set up",
        "In line at check in",
        "Comparing phone plans",
        "Touchdown {city}",
        "Statement on {day}'s flights",
        "Customer service hours change in {month}",
        "Debate on {topic} in the Commons today",
        "Speaking in the committee on {topic} this afternoon",
        "Met {group} to talk about {topic}",
        "Here's my interview from this morning on {topic}",
        "We present our plan on {topic} tomorrow",
        "Visiting {city} today to talk about {topic}",
        "RT @user: New funding round for {topic}",
        "Department publishes figures on {topic}",
        "Live now: press conference on {topic}",
        "Reminder: air traffic strike {day}",
        "Link to the details below",
        "Full interview here",
        "Back at work",
        "{brand} updates its carry on policy",
        "Reading the small print",
    ],
}
NEUTRAL_REPLY = {
    "es": [
        "Te escribo por privado",
        "Ya os he mandado un DM",
        "Vale, lo miro y os digo",
        "Ok, esperando respuesta",
        "Enviado el número de reserva por MD",
        "Ahora lo pruebo",
        "Lo consulto mañana en la tienda",
        "Número de incidencia {n}{n}{n}{n}",
        "Por DM os paso los datos",
    ],
    "en": [
        "Sent you a DM",
        "Just DMed you",
        "Ok, I'll check and get back",
        "Ok, waiting to hear back",
        "DMed my confirmation code",
        "Will try now",
        "I'll ask at the store tomorrow",
        "Ticket number {n}{n}{n}{n}",
        "Details in DM",
    ],
}
# ---------------------------------------------------------------- positive: thanks and joy
GOOD_DEED = {
    "es": [
        "ayudarme con la maleta",
        "cambiarme el vuelo sin coste",
        "resolverlo en cinco minutos",
        "la subida a business",
        "esperarnos en la puerta",
        "devolverme el dinero tan rápido",
        "arreglar la fibra en una hora",
        "la paciencia con mi madre",
        "encontrar mi maleta",
        "la atención por el chat",
        "el trato tan humano",
        "conseguirnos sitio juntos",
        "avisar del cambio con tiempo",
        "el regalo para la peque",
        "responder tan rápido",
        "aguantar mis mil preguntas",
    ],
    "en": [
        "helping with my bag",
        "changing my flight at no cost",
        "fixing it in five minutes",
        "the upgrade",
        "holding the door for us",
        "refunding me so fast",
        "getting the internet back in an hour",
        "being so patient with my mom",
        "finding my suitcase",
        "the help over chat",
        "being so kind",
        "seating us together",
        "the heads up about the change",
        "the gift for my kid",
        "replying so fast",
        "putting up with all my questions",
    ],
}
WHO = {
    "es": [
        "a la tripulación",
        "a la chica del mostrador",
        "al técnico",
        "al equipo de {brand}",
        "a {brand}",
        "al chico del chat",
        "a la azafata del vuelo de {city}",
        "al piloto",
        "",
        "",
    ],
    "en": [
        "to the crew",
        "to the gate agent",
        "to the tech",
        "to the {brand} team",
        "{brand}",
        "to the chat agent",
        "to the flight attendant on the {city} flight",
        "to the pilot",
        "",
        "",
    ],
}
POS_VERDICT = {
    "es": [
        "todo perfecto",
        "un placer volar con vosotros",
        "repetiré seguro",
        "muy contenta con la fibra nueva",
        "por fin un servicio que funciona",
        "increíble la atención",
        "chapó",
        "sois unos cracks",
        "da gusto",
        "llegamos antes de hora",
        "vuelo puntual y tripulación encantadora",
        "de diez",
        "qué maravilla de vuelo",
        "os lo recomiendo",
        "servicio impecable",
        "mil gracias",
        "así sí",
        "muy amables todos",
        "qué gusto da así",
        "encantados",
        "lo mejor del viaje",
        "la mejor compañía con diferencia",
    ],
    "en": [
        "everything was perfect",
        "a pleasure flying with you",
        "will fly again for sure",
        "loving the new fiber",
        "finally a service that works",
        "amazing customer service",
        "you guys rock",
        "so smooth",
        "landed early",
        "on time and a lovely crew",
        "10/10",
        "what a great flight",
        "highly recommend",
        "flawless service",
        "thanks a million",
        "that's how it's done",
        "everyone was so nice",
        "best airline by far",
        "great job",
        "made my day",
        "love you guys",
        "best customer service ever",
    ],
}
JOY = {
    "es": [
        "Qué ganas de volar a {city} mañana",
        "Rumbo a {city} de vacaciones",
        "Felicidades a {group} por el trabajo",
        "Orgullosa de {group}",
        "Enhorabuena a {group}",
        "Gran día hoy en {city}",
        "Preciosa mañana en {city}",
        "Feliz de anunciar que {topic} sale adelante",
        "Buena noticia para {topic}",
        "Encantada de estar en {city}",
        "Qué bonito recibimiento en {city}",
        "Gracias a todos por el apoyo",
    ],
    "en": [
        "Can't wait to fly to {city} tomorrow",
        "Off to {city} on vacation",
        "Congrats to {group} for the hard work",
        "So proud of {group}",
        "Well done {group}",
        "Great day in {city}",
        "Lovely morning in {city}",
        "Delighted that the plan on {topic} goes ahead",
        "Good news for {topic}",
        "Happy to be in {city}",
        "What a welcome in {city}",
        "Thank you all for the support",
    ],
}
GEN_NEG = {
    "es": [
        "Lamentable lo de {topic}",
        "Indignante que se recorte en {topic}",
        "Qué vergüenza lo de hoy con {topic}",
        "Triste día para {group}",
        "Otra promesa incumplida sobre {topic}",
        "Mal dato para {topic}",
        "Preocupante lo que está pasando con {topic}",
        "No se puede seguir así con {topic}",
        "El gobierno vuelve a fallar a {group}",
        "Qué pena lo de {city}",
    ],
    "en": [
        "Shameful decision on {topic}",
        "Outrageous cuts to {topic}",
        "Another broken promise on {topic}",
        "Sad day for {group}",
        "Bad news for {topic}",
        "Worrying figures on {topic}",
        "The government failed {group} again",
        "We can't go on like this on {topic}",
        "Appalling treatment of {group}",
        "Heartbreaking news from {city}",
    ],
}

SIGN_OFF = {
    "es": ["Gracias", "Un saludo", "Gracias de antemano", "Saludos"],
    "en": ["Thanks", "Cheers", "Ty", "Thx"],
}
# Free-form posts, written one by one: the ways people say things that templates do not reach.
FREE = {
    ("es", "positive", "other"): [
        "Me encanta esta ciudad",
        "Qué bien sienta volver a casa",
        "Jajaja qué grande",
        "Ojalá todos los lunes fueran así",
        "Buenos días a todos, feliz viernes",
        "Feliz Navidad a todos",
        "Vamos!! A por ello",
        "Qué orgullo de equipo",
        "Brutal el concierto de anoche",
        "Qué pasada de vistas desde el avión",
        "Un lujo de tarde",
        "Me quedo con lo bueno",
        "Enorme {group}, gracias por todo",
        "Magnífica jornada en {city}",
        "Qué alegría veros a todos",
        "Hoy es un gran día para {topic}",
        "Buen trabajo, compañeros",
        "Muy buena noticia",
        "Esto sí es una buena idea",
        "Qué bonito es {city} en primavera",
        "Con muchas ganas de empezar",
        "Ha merecido la pena",
        "Felicidades, campeones",
        "Me alegro muchísimo",
        "Qué gusto da leer esto",
        "Todo un acierto",
        "Genial iniciativa",
        "Impresionante el ambiente",
        "Una gozada",
        "Maravilloso fin de semana en {city}",
        "Gracias por venir, fue un placer",
        "Qué suerte tenemos",
        "Brillante intervención hoy sobre {topic}",
        "Emocionada con la noticia",
        "Por fin vacaciones!!",
        "Sois lo más",
        "Lo mejor del año",
        "Buen viaje a todos",
        "Disfrutando del sol en {city}",
        "Qué risa jajaja",
        "Me ha encantado xD",
        "Un abrazo enorme a {group}",
        "Todo salió genial",
        "Lo conseguimos",
        "Gran noticia para {group}",
    ],
    ("es", "positive", "praise"): [
        "Así da gusto viajar",
        "Primera vez con vosotros y encantada",
        "Por fin una compañía seria",
        "El mejor vuelo que he tenido",
        "Me habéis salvado el día",
        "Nada que ver con otras compañías, bravo",
        "Me solucionaron todo en el momento",
        "Súper recomendable",
        "La app nueva es una maravilla",
        "Qué rápido, gracias",
        "Puntuales como siempre",
        "Trato exquisito",
        "Muy profesionales, enhorabuena",
        "La fibra vuela, contentísimo",
        "Volar con vosotros es un placer",
        "Sin una queja, todo perfecto",
        "Gracias por cuidarnos tan bien",
        "El personal de tierra majísimo",
        "Os habéis portado",
        "Sois un ejemplo de atención al cliente",
    ],
    ("es", "negative", "other"): [
        "Qué asco de día",
        "Vaya semanita llevo",
        "No puedo más con este calor",
        "Odio los lunes",
        "Qué triste todo",
        "Menuda vergüenza de debate",
        "Otra vez recortes, increíble",
        "Esto es un despropósito",
        "Qué mal pinta esto",
        "Estoy fatal",
        "Se me ha caído el alma a los pies",
        "Qué decepción de gobierno",
        "Nos toman el pelo",
        "Siempre pagan los mismos",
        "Mentiras y más mentiras",
        "Es una tomadura de pelo",
        "Ni un paso atrás... qué pena",
        "Pésima gestión de {topic}",
        "Lo de {topic} es un escándalo",
        "Vaya ridículo",
        "Me parece vergonzoso",
    ],
    ("es", "neutral", "other"): [
        "Mañana más",
        "Os leo",
        "Hilo 👇",
        "Os cuento",
        "Dato del día",
        "Atentos a esta información",
        "Vía @user",
        "Ahora en {city}",
        "A las 10 en directo",
        "Mañana a las 9 reunión",
        "Última hora: cambio de horario en {city}",
        "Hoy votamos {topic}",
        "Os dejo el programa de la jornada",
        "Comparecencia a las 12",
        "Nota de prensa",
        "El debate de {topic} empieza a las 16h",
        "En el tren hacia {city}",
        "Esta semana en el Congreso: {topic}",
        "Llegando a {city}",
        "Acabo de aterrizar",
        "Cola en el control de seguridad",
        "Puerta B12",
        "Vuelo de las 7:40",
        "Leyendo sobre {topic}",
        "Artículo interesante sobre {topic}",
        "¿Qué opináis?",
        "Buenos días",
        "Cambio de planes",
        "Lo vemos mañana",
        "Recordatorio: el plazo acaba el viernes",
        "Encuesta: ¿viajáis en verano o en invierno?",
    ],
    ("en", "positive", "other"): [
        "Love this city",
        "So good to be home",
        "Haha brilliant",
        "Happy Friday everyone",
        "Merry Christmas all",
        "Let's go!!",
        "Proud of the team",
        "Amazing gig last night",
        "Incredible views from the plane",
        "What a treat",
        "Well deserved {group}",
        "Fantastic day in {city}",
        "Lovely to see you all",
        "Big day for {topic}",
        "Great news",
        "Brilliant idea",
        "Gorgeous weather in {city}",
        "Excited to get started",
        "Totally worth it",
        "Congrats champs",
        "Delighted",
        "Vacation mode on!!",
        "Best day of the year",
        "Safe travels everyone",
        "Enjoying the sun in {city}",
        "lol love it",
        "We did it",
        "Good news for {group}",
        "Great turnout today",
    ],
    ("en", "positive", "praise"): [
        "This is how travel should be",
        "First time with you and loved it",
        "Best flight I've had",
        "You saved my day",
        "Sorted everything on the spot",
        "Highly recommend",
        "The new app is great",
        "On time as always",
        "Lovely staff",
        "Very professional, well done",
        "Fiber is blazing fast, so happy",
        "Not a single complaint",
        "Thanks for looking after us",
        "Ground staff were amazing",
        "Customer service done right",
    ],
    ("en", "negative", "other"): [
        "What a day",
        "Rough week",
        "Can't cope with this heat",
        "Hate Mondays",
        "So sad",
        "What an embarrassing debate",
        "More cuts, unbelievable",
        "This looks bad",
        "Feeling awful",
        "They're taking us for fools",
        "Lies upon lies",
        "Terrible handling of {topic}",
        "The {topic} situation is a scandal",
        "Absolutely shameful",
    ],
    ("en", "neutral", "other"): [
        "More tomorrow",
        "Thread 👇",
        "Stat of the day",
        "Via @user",
        "Now in {city}",
        "Live at 10",
        "Meeting at 9 tomorrow",
        "Breaking: schedule change in {city}",
        "Voting on {topic} today",
        "Today's agenda",
        "Press release",
        "On the train to {city}",
        "This week in Parliament: {topic}",
        "Just landed",
        "Security line",
        "Gate B12",
        "Reading about {topic}",
        "Thoughts?",
        "Morning all",
        "Change of plans",
        "Reminder: deadline is Friday",
    ],
}

EMOJI = {
    "negative": ["", "", "", "😡", "🤬", "👎", "😤", "🙄", "😩", "😠", "😢", "💩", "🤦‍♀️", "🤦"],
    "neutral": ["", "", "", "", "", "✈️", "📱", "👉", "🤔", "📍"],
    "positive": ["", "", "😍", "🙌", "👏", "😊", "❤️", "💙", "🥰", "👌", "✨", "😁", "🎉"],
}
HASHTAGS = {
    "es": [
        "#vergüenza",
        "#fail",
        "#atencionalcliente",
        "#vacaciones",
        "#retraso",
        "#verano",
        "#viajar",
        "#consumo",
        "#aeropuerto",
        "#gracias",
        "#fibra",
        "#madrid",
    ],
    "en": [
        "#fail",
        "#customerservice",
        "#travel",
        "#delayed",
        "#vacation",
        "#thanks",
        "#neveragain",
        "#airport",
        "#help",
        "#summer",
        "#travelproblems",
    ],
}
SLANG = {
    "es": [
        (r"\bque\b", "q"),
        (r"\bporque\b", "xq"),
        (r"\bpor qué\b", "pq"),
        (r"\btambién\b", "tb"),
        (r"\bpor\b", "x"),
        (r"\bmuy\b", "mu"),
        (r"\bpara\b", "pa"),
        (r"\bestoy\b", "toy"),
        (r"\bdesde\b", "dsd"),
        (r"\bgracias\b", "grax"),
        (r"\bnada\b", "na"),
        (r"\bvale\b", "vle"),
        (r"\bde\b", "d"),
        (r"\bhola\b", "ola"),
    ],
    "en": [
        (r"\byou\b", "u"),
        (r"\byour\b", "ur"),
        (r"\bplease\b", "pls"),
        (r"\bthanks\b", "thx"),
        (r"\bare\b", "r"),
        (r"\bbecause\b", "bc"),
        (r"\breally\b", "rly"),
        (r"\bto\b", "2"),
        (r"\bfor\b", "4"),
        (r"\bwhat\b", "wat"),
        (r"\bgoing to\b", "gonna"),
        (r"\bpeople\b", "ppl"),
        (r"\btonight\b", "2nite"),
    ],
}
INTERJECTION = {
    "negative": {
        "es": ["Ugh", "Buf", "Madre mía", "En serio", "Joder", "Otra vez", "Vaya"],
        "en": ["Ugh", "Smh", "Seriously", "Wow", "Come on", "Again", "Wtf"],
    },
    "positive": {
        "es": ["Ole", "Wow", "Jo", "Bien", "Yuju", "Por fin"],
        "en": ["Wow", "Yay", "Omg", "Finally", "Aww", "Yes"],
    },
    "neutral": {"es": ["", "Ok", "Bueno", "Pues"], "en": ["", "Ok", "So", "Well"]},
}


def _vocab(lang: str) -> dict[str, list[str]]:
    return ES if lang == "es" else EN


def _fill(text: str, lang: str, rng: random.Random, **extra: str) -> str:
    vocab = _vocab(lang)
    for _ in range(6):
        if "{" not in text:
            break
        cities = rng.sample(vocab["city"], 2)
        values = {key: rng.choice(options) for key, options in vocab.items()}
        values.update(city=cities[0], city2=cities[1], **extra)
        text = re.sub(r"\{(\w+)\}", lambda m, values=values: values.get(m.group(1), m.group(0)), text)
    return text


def _strip_accents(text: str) -> str:
    kept = (c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn" or c == "\u0303")
    return unicodedata.normalize("NFC", "".join(kept))


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.7:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def _stretch(word: str, rng: random.Random) -> str:
    vowels = [i for i, c in enumerate(word) if c in "aeiouoAEIOU"]
    if not vowels:
        return word
    i = rng.choice(vowels)
    return word[: i + 1] + word[i] * rng.randint(2, 5) + word[i + 1 :]


def roughen(text: str, lang: str, sentiment: str, rng: random.Random) -> str:
    """Make a clean sentence look typed on a phone by someone in a hurry."""
    if rng.random() < 0.35:
        for pattern, replacement in SLANG[lang]:
            if rng.random() < 0.5:
                text = re.sub(pattern, replacement, text, flags=re.IGNORECASE)
    words = text.split(" ")
    if rng.random() < 0.3:
        i = rng.randrange(len(words))
        words[i] = _typo(words[i], rng)
    if rng.random() < 0.12:
        i = rng.randrange(len(words))
        words[i] = _stretch(words[i], rng)
    if sentiment != "neutral" and rng.random() < 0.1:
        i = rng.randrange(len(words))
        words[i] = words[i].upper()
    text = " ".join(words)
    if lang == "es" and rng.random() < 0.4:
        text = _strip_accents(text)
    if lang == "es" and rng.random() < 0.5:
        text = text.replace("¿", "").replace("¡", "")
    roll = rng.random()
    if roll < 0.3:
        text = text.lower()
    elif roll < 0.34 and sentiment == "negative":
        text = text.upper()
    if rng.random() < 0.3:
        text = text.rstrip(".!?")
    elif sentiment != "neutral" and rng.random() < 0.25:
        text = text.rstrip(".") + rng.choice(["!!", "!!!", "...", " !!", "!?"])
    emoji = rng.choice(EMOJI[sentiment])
    if emoji:
        text += " " + emoji * rng.choice([1, 1, 1, 2, 3])
    if rng.random() < 0.12:
        text += " " + rng.choice(HASHTAGS[lang])
    if rng.random() < 0.08:
        text += " http://t.co/" + "".join(rng.choice("abcdefghijkLMNOPQ0123456789") for _ in range(10))
    return text


def _join(parts: list[str], rng: random.Random) -> str:
    glue = rng.choice([". ", ", ", "... ", " - ", ". ", "! "])
    text = glue.join(p for p in parts if p)
    return text[0].upper() + text[1:] if text and rng.random() < 0.7 else text


def _with_handle(text: str, lang: str, rng: random.Random, probability: float) -> str:
    if rng.random() >= probability or text.startswith("@"):
        return text
    brand = rng.choice(_vocab(lang)["brand"])
    return f"{brand} {text}" if rng.random() < 0.85 else f"{text} {brand}"


def _complaint(lang: str, rng: random.Random) -> str:
    situation = _fill(rng.choice(NEG_SITUATION[lang]), lang, rng)
    kind = rng.random()
    if kind < 0.16:
        return _fill(rng.choice(SARCASM[lang]), lang, rng, sit=situation)
    if kind < 0.24:
        return _fill(rng.choice(MIXED_NEG[lang]), lang, rng, sit=situation)
    parts = [situation]
    if rng.random() < 0.35:
        parts.append(_fill(rng.choice(NEG_SITUATION[lang]), lang, rng))
    if rng.random() < 0.6:
        parts.insert(rng.choice([0, len(parts)]), rng.choice(NEG_VERDICT[lang]))
    if rng.random() < 0.35:
        parts.append(rng.choice(NEG_DEMAND[lang]))
    if rng.random() < 0.2:
        parts.insert(0, rng.choice(INTERJECTION["negative"][lang]))
    return _join(parts, rng)


def _short_negative(lang: str, rng: random.Random) -> str:
    parts = [rng.choice(NEG_VERDICT[lang])]
    if rng.random() < 0.4:
        parts.append(rng.choice(NEG_DEMAND[lang]))
    return _join(parts, rng)


def _question(lang: str, rng: random.Random) -> str:
    body = _fill(rng.choice(QUESTION[lang]), lang, rng)
    opener = _fill(rng.choice(Q_OPEN[lang]), lang, rng)
    if lang == "es" and not opener.startswith("Alguien") and rng.random() < 0.6:
        body = "¿" + body[0].upper() + body[1:] if not opener else "¿" + body
    text = opener + body + rng.choice(["?", "?", "??", "?", " ?", ""])
    if rng.random() < 0.25:
        text += " " + rng.choice(SIGN_OFF[lang])
    return text


def _thanks(lang: str, rng: random.Random) -> str:
    who = _fill(rng.choice(WHO[lang]), lang, rng)
    deed = rng.choice(GOOD_DEED[lang])
    if lang == "es":
        core = rng.choice(
            [
                f"Gracias {who} por {deed}",
                f"Mil gracias {who} por {deed}",
                f"Muchísimas gracias {who} por {deed}",
                f"Gracias por {deed}",
            ]
        )
    else:
        core = rng.choice(
            [
                f"Shout out {who} for {deed}",
                f"Thank you {who} for {deed}",
                f"Thanks {who} for {deed}",
                f"Big thanks for {deed}",
            ]
        )
    parts = [" ".join(core.split())]
    if rng.random() < 0.6:
        parts.append(rng.choice(POS_VERDICT[lang]))
    if rng.random() < 0.2:
        parts.insert(0, rng.choice(INTERJECTION["positive"][lang]))
    return _join(parts, rng)


def _praise(lang: str, rng: random.Random) -> str:
    parts = rng.sample(POS_VERDICT[lang], rng.choice([1, 1, 2]))
    if rng.random() < 0.2:
        parts.insert(0, rng.choice(INTERJECTION["positive"][lang]))
    return _join(parts, rng)


def _info(lang: str, rng: random.Random) -> str:
    return _fill(rng.choice(INFO[lang]), lang, rng)


def _reply(lang: str, rng: random.Random) -> str:
    return _fill(rng.choice(NEUTRAL_REPLY[lang]), lang, rng)


def _joy(lang: str, rng: random.Random) -> str:
    return _fill(rng.choice(JOY[lang]), lang, rng)


def _general_negative(lang: str, rng: random.Random) -> str:
    return _fill(rng.choice(GEN_NEG[lang]), lang, rng)


def _free(sentiment: str, category: str):
    def make(lang: str, rng: random.Random) -> str:
        return _fill(rng.choice(FREE.get((lang, sentiment, category), [""])), lang, rng)

    return make


# (maker, sentiment, category, share of the rows, chance of an @brand in front)
KINDS = [
    (_complaint, "negative", "complaint", 0.30, 0.85),
    (_short_negative, "negative", "complaint", 0.06, 0.8),
    (_general_negative, "negative", "other", 0.05, 0.1),
    (_question, "neutral", "question", 0.17, 0.5),
    (_info, "neutral", "other", 0.12, 0.15),
    (_reply, "neutral", "other", 0.04, 0.8),
    (_thanks, "positive", "praise", 0.12, 0.75),
    (_praise, "positive", "praise", 0.07, 0.7),
    (_joy, "positive", "other", 0.07, 0.15),
    (_free("positive", "other"), "positive", "other", 0.08, 0.1),
    (_free("positive", "praise"), "positive", "praise", 0.05, 0.7),
    (_free("negative", "other"), "negative", "other", 0.04, 0.05),
    (_free("neutral", "other"), "neutral", "other", 0.06, 0.1),
]


def varied_rows(rng: random.Random, per_language: int) -> list[tuple[str, str, str, str]]:
    """Rows (text, lang, sentiment, category), `per_language` for each of es and en, no duplicates."""
    out: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    for lang in ("es", "en"):
        for maker, sentiment, category, share, handle in KINDS:
            wanted = round(per_language * share)
            made = attempts = 0
            while made < wanted and attempts < wanted * 20:
                attempts += 1
                text = _with_handle(maker(lang, rng), lang, rng, handle)
                text = roughen(" ".join(text.split()), lang, sentiment, rng)
                if text in seen:
                    continue
                seen.add(text)
                out.append((text, lang, sentiment, category))
                made += 1
    return out
