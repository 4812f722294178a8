"""Write `training.csv`: labelled posts in Spanish and English, written for this project.

Run `python tools/triage_corpus/make_training.py` to rebuild it; the seed is fixed, so the file only
changes when the templates do. Every sentence below is our own; none comes from the evaluation set.
Columns: text, lang, sentiment, category, source (template, short, varied or genre; not used in training).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from genre import genre_rows
from varied import varied_rows

SEED = 20260501
PER_GROUP = 170
# Composed, roughened posts (see varied.py) per language, on top of the templates.
VARIED_PER_LANGUAGE = 2400
# Posts in the genre of a brand's wider timeline (politicians, news, travellers; see genre.py).
GENRE_PER_LANGUAGE = 1200
OUT = Path(__file__).resolve().parents[2] / "inbox" / "triage" / "data" / "training.csv"

FILL = {
    "es": {
        "brand": [
            "@MovilSur",
            "@TelcoNorte",
            "@VuelaYa",
            "@AeroIbera",
            "@ModaMax",
            "@SuperAhorro",
            "@FibraPlus",
            "@EnergiaClara",
            "@BancoRed",
            "@TiendaHogar",
            "Movistar",
            "la compañía",
            "vosotros",
        ],
        "city": [
            "Madrid",
            "Sevilla",
            "Valencia",
            "Bilbao",
            "Zaragoza",
            "Málaga",
            "Vigo",
            "Murcia",
            "Granada",
            "Alicante",
            "Barcelona",
            "Oviedo",
            "Palma",
            "Toledo",
        ],
        "time": [
            "desde ayer",
            "desde esta mañana",
            "hace tres días",
            "desde el lunes",
            "toda la semana",
            "desde hace dos horas",
            "otra vez hoy",
            "desde el viernes",
            "hace un mes",
        ],
        "service": [
            "la fibra",
            "el móvil",
            "internet",
            "la línea fija",
            "los datos",
            "el wifi",
            "la app",
            "la televisión",
            "el router",
            "la cobertura",
        ],
        "thing": [
            "el vuelo",
            "el pedido",
            "la maleta",
            "el envío",
            "la reserva",
            "el paquete",
            "la devolución",
            "el reembolso",
            "el técnico",
            "la factura",
        ],
        "staff": [
            "la chica del mostrador",
            "el técnico",
            "el chico de atención al cliente",
            "la azafata",
            "el repartidor",
            "la comercial",
            "el agente del chat",
            "la tripulación",
        ],
        "amount": ["30 euros", "15 €", "el doble", "49,90 €", "120 euros", "dos meses", "una permanencia"],
        "insult": [
            "inútiles",
            "payasos",
            "sinvergüenzas",
            "ladrones",
            "idiotas",
            "una panda de incompetentes",
            "basura",
            "imbéciles",
            "unos chorizos",
            "escoria",
        ],
        "emo_neg": ["", "", "😡", "🤬", "👎", "😤", "🙄", "😩"],
        "emo_pos": ["", "", "👏", "😍", "🙌", "👍", "😊", "❤️", "💪"],
    },
    "en": {
        "brand": [
            "@MobileSouth",
            "@TelcoNorth",
            "@FlyNow",
            "@SkyWays",
            "@ShopMax",
            "@MegaMart",
            "@FiberPlus",
            "@ClearEnergy",
            "@RedBank",
            "@HomeStore",
            "you guys",
            "your company",
        ],
        "city": [
            "Chicago",
            "Denver",
            "Boston",
            "Austin",
            "Seattle",
            "Miami",
            "London",
            "Leeds",
            "Dallas",
            "Phoenix",
            "Atlanta",
            "Newark",
            "Houston",
        ],
        "time": [
            "since yesterday",
            "since this morning",
            "for three days",
            "since Monday",
            "all week",
            "for two hours",
            "again today",
            "since Friday",
            "for a month now",
        ],
        "service": [
            "the fiber",
            "my phone",
            "the internet",
            "my landline",
            "mobile data",
            "the wifi",
            "the app",
            "cable TV",
            "the router",
            "the signal",
        ],
        "thing": [
            "my flight",
            "my order",
            "my bag",
            "the delivery",
            "my booking",
            "the package",
            "my return",
            "the refund",
            "the technician",
            "my bill",
        ],
        "staff": [
            "the gate agent",
            "the technician",
            "the guy on the phone",
            "the flight attendant",
            "the delivery driver",
            "the sales rep",
            "the chat agent",
            "the crew",
        ],
        "amount": ["$30", "$15", "twice", "$49.90", "$120", "two months", "a cancellation fee"],
        "insult": [
            "idiots",
            "clowns",
            "morons",
            "thieves",
            "scum",
            "a bunch of losers",
            "garbage",
            "pathetic losers",
            "jerks",
            "trash",
        ],
        "emo_neg": ["", "", "😡", "🤬", "👎", "😤", "🙄", "😩"],
        "emo_pos": ["", "", "👏", "😍", "🙌", "👍", "😊", "❤️", "💪"],
    },
}

# (category, sentiment) → templates per language.
TEMPLATES: dict[tuple[str, str], dict[str, list[str]]] = {
    ("complaint", "negative"): {
        "es": [
            "{brand} llevo {time} sin servicio en {city} y nadie me da una solución {emo_neg}",
            "Otra vez sin {service} en {city}. Esto es una vergüenza {emo_neg}",
            "{brand} me habéis cobrado {amount} de más en la factura y no hay manera de que me lo devolváis",
            "Lamentable la atención de {staff}, ni un perdón ni una explicación",
            "{thing} lleva una semana de retraso y en el chat solo me dan largas",
            "Tres llamadas, dos horas al teléfono y {service} sigue sin funcionar. Harto {emo_neg}",
            "{brand} cancelan {thing} sin avisar y ahora me toca pagar otro. Indignante",
            "Pésimo servicio, {service} se corta cada diez minutos {time}",
            "Me prometieron que el técnico vendría hoy y nadie ha aparecido. Ni caso {emo_neg}",
            "Perdieron mi maleta en {city} y nadie se hace responsable",
            "{brand} ¿de verdad es normal esperar 40 minutos para hablar con alguien? Un desastre",
            "Cada mes me suben la tarifa sin avisar. Me voy a la competencia",
            "Si no me solucionáis lo de {thing} voy a poner una reclamación en consumo",
            "Qué decepción, {thing} llegó roto y ahora dicen que es culpa mía",
            "{brand} caída total de {service} en {city}, ¿alguien sabe algo? Esto es inaceptable",
            "No funciona {service} {time} y tengo que teletrabajar. Fatal {emo_neg}",
            "La app no deja pagar y encima me cobran la comisión. Vaya chapuza",
            "{brand} el vuelo con cuatro horas de retraso y ni un vaso de agua. Nunca más",
            "Me han dado de baja la línea sin pedirlo. ¿Quién me devuelve {amount}?",
            "Cobrado dos veces el mismo pedido y el banco dice que hable con vosotros. Lamentable",
            "Ya van cinco incidencias abiertas y ninguna resuelta {emo_neg}",
            "Muy mal {brand}, {staff} fue muy borde conmigo",
            "Estoy cansada de pedir lo mismo: que me arregléis {service}",
            "El peor servicio al cliente que he tenido nunca {emo_neg}",
            "Sin cobertura en todo {city} {time}. ¿Para qué pago?",
            "Vergonzoso que después de diez años como cliente me tratéis así",
        ],
        "en": [
            "{brand} no service in {city} {time} and nobody can tell me anything {emo_neg}",
            "Down again. {service} has been out {time}. This is ridiculous {emo_neg}",
            "{brand} you charged me {amount} extra on my bill and still no refund",
            "Terrible attitude from {staff}, not even an apology",
            "{thing} is a week late and the chat just keeps giving me excuses",
            "Three calls, two hours on hold and {service} still doesn't work. Fed up {emo_neg}",
            "{brand} cancelled {thing} with no notice and now I have to pay again. Unbelievable",
            "Awful service, {service} drops every ten minutes {time}",
            "Technician was supposed to come today and nobody showed up {emo_neg}",
            "Lost my bag in {city} and no one takes responsibility",
            "{brand} is it normal to wait 40 minutes to talk to a human? What a mess",
            "You raise my price every month without telling me. Switching providers",
            "If you don't fix {thing} I'm filing a complaint with consumer protection",
            "So disappointed, {thing} arrived broken and now you say it's my fault",
            "{brand} total outage of {service} in {city}, this is unacceptable",
            "{service} not working {time} and I work from home. Worst {emo_neg}",
            "The app won't let me pay and then charges me a late fee. Ridiculous",
            "{brand} four hour delay and not even a glass of water. Never again",
            "You cancelled my line without me asking. Who gives me back {amount}?",
            "Double charged for the same order and my bank says to talk to you. Pathetic",
            "Five tickets open and none solved {emo_neg}",
            "Really bad {brand}, {staff} was so rude to me",
            "I'm tired of asking the same thing: fix {service}",
            "Worst customer service I've ever had {emo_neg}",
            "Flight delayed again, missed my connection in {city}. Thanks for nothing",
            "Stuck on the tarmac for two hours with no updates. Horrible experience",
        ],
    },
    ("complaint", "neutral"): {
        "es": [
            "{brand} en la factura de este mes aparece un cargo de {amount} que no reconozco",
            "Hola {brand}, {service} va lento {time} en {city}, ¿podéis revisarlo?",
            "Aviso: {thing} sigue sin llegar, el número de seguimiento no da información",
            "{brand} el router parpadea en rojo {time}. Ya he probado a reiniciarlo",
            "Tengo un problema con {thing}, os escribo por privado los datos",
            "{brand} me llegó {thing} con una talla que no pedí",
        ],
        "en": [
            "{brand} there's a charge of {amount} on this month's bill I don't recognize",
            "Hi {brand}, {service} has been slow {time} in {city}, can you check?",
            "FYI {thing} still hasn't arrived and tracking shows nothing",
            "{brand} the router light is red {time}. Already tried restarting it",
            "I have an issue with {thing}, sending you the details by DM",
            "{brand} I received {thing} in the wrong size",
        ],
    },
    ("question", "neutral"): {
        "es": [
            "{brand} ¿cómo puedo cambiar de tarifa desde la app?",
            "¿A qué hora abre la tienda de {city} el sábado?",
            "{brand} ¿hay alguna incidencia en {city}? Pregunto antes de llamar",
            "¿Se puede llevar una maleta de cabina de 10 kilos en {thing}?",
            "Hola, ¿dónde puedo ver el estado de {thing}?",
            "{brand} ¿cuánto tarda en llegar el reembolso a la tarjeta?",
            "¿Tenéis fibra en {city}? Me mudo el mes que viene",
            "¿Cómo activo el roaming para viajar a Portugal?",
            "{brand} una pregunta: ¿la oferta de {amount} es también para clientes actuales?",
            "¿Qué documentación necesito para hacer la portabilidad?",
            "¿Puedo cambiar la fecha de {thing} sin coste?",
            "Buenas, ¿el horario de atención telefónica es también en festivos?",
            "¿Alguien sabe si {brand} tiene descuento para estudiantes?",
            "¿Cuándo sale la nueva colección en la tienda de {city}?",
            "{brand} ¿el wifi a bordo es gratis o hay que pagar?",
            "¿Dónde se recoge el equipaje especial en el aeropuerto de {city}?",
            "¿Cómo descargo la factura en PDF?",
            "{brand} ¿me podéis decir qué router es compatible con la fibra?",
        ],
        "en": [
            "{brand} how do I change my plan in the app?",
            "What time does the {city} store open on Saturday?",
            "{brand} is there an outage in {city}? Asking before I call",
            "Can I bring a 10 kg carry-on on {thing}?",
            "Hi, where can I check the status of {thing}?",
            "{brand} how long does a refund take to reach my card?",
            "Do you offer fiber in {city}? Moving next month",
            "How do I turn on roaming for a trip to Canada?",
            "{brand} quick question: is the {amount} deal also for existing customers?",
            "What documents do I need to port my number?",
            "Can I change the date of {thing} for free?",
            "Hello, are your phone lines open on public holidays?",
            "Does anyone know if {brand} has a student discount?",
            "When does the new collection arrive at the {city} store?",
            "{brand} is wifi on board free or paid?",
            "Where do I pick up oversized baggage at {city} airport?",
            "How do I download my bill as a PDF?",
            "{brand} which routers work with the fiber service?",
        ],
    },
    ("question", "negative"): {
        "es": [
            "{brand} ¿alguien me va a explicar por qué llevo {time} sin {service}?",
            "¿Por qué me habéis cobrado {amount} si tenía la promoción? No lo entiendo",
            "¿Cuándo pensáis arreglar {service}? Ya es la tercera vez este mes {emo_neg}",
        ],
        "en": [
            "{brand} can someone explain why I've had no {service} {time}?",
            "Why was I charged {amount} when I had the promo? Makes no sense",
            "When are you going to fix {service}? Third time this month {emo_neg}",
        ],
    },
    ("praise", "positive"): {
        "es": [
            "Gracias {brand}, me habéis solucionado lo de {service} en diez minutos {emo_pos}",
            "Qué maravilla de atención la de {staff}, así da gusto",
            "{thing} llegó antes de lo previsto y perfecto. ¡Muy contenta! {emo_pos}",
            "Enhorabuena al equipo de {city}, trato de diez {emo_pos}",
            "{brand} por fin una compañía que contesta rápido. Gracias",
            "Vuelo puntual, tripulación amabilísima y buen café. Así sí {emo_pos}",
            "Desde que me cambié a {brand} la fibra va genial {emo_pos}",
            "Mil gracias a {staff} por la paciencia, sois unos cracks",
            "Recomiendo {brand} al cien por cien {emo_pos}",
            "Me encanta la nueva app, mucho más fácil {emo_pos}",
            "Devolución hecha en dos días, sin preguntas. Genial {emo_pos}",
            "Buen trabajo arreglando la avería tan rápido, gracias {brand}",
            "Gran experiencia con {brand}, repetiré seguro {emo_pos}",
            "Qué gusto cuando las cosas funcionan. Gracias por la ayuda {emo_pos}",
            "Ha sido un placer volar con vosotros, hasta la próxima {emo_pos}",
            "¡Felicidades por el aniversario {brand}! Muchos años más {emo_pos}",
        ],
        "en": [
            "Thanks {brand}, you fixed {service} in ten minutes {emo_pos}",
            "Amazing help from {staff}, that's how it's done",
            "{thing} arrived early and in perfect shape. So happy! {emo_pos}",
            "Shout out to the {city} team, great service {emo_pos}",
            "{brand} finally a company that answers fast. Thank you",
            "On-time flight, lovely crew and good coffee. Love it {emo_pos}",
            "Since switching to {brand} my internet is great {emo_pos}",
            "Huge thanks to {staff} for the patience, you rock",
            "Would recommend {brand} 100% {emo_pos}",
            "Love the new app, so much easier {emo_pos}",
            "Refund done in two days, no questions asked. Awesome {emo_pos}",
            "Great job fixing the outage so fast, thanks {brand}",
            "Great experience with {brand}, will fly again {emo_pos}",
            "Feels good when things just work. Thanks for the help {emo_pos}",
            "Always a pleasure flying with you, see you soon {emo_pos}",
            "Happy anniversary {brand}! Many more years {emo_pos}",
        ],
    },
    ("troll", "negative"): {
        "es": [
            "{brand} sois {insult} {emo_neg}",
            "Todos los de {brand} son {insult}, ojalá cerréis",
            "jajaja vaya {insult} trabajan ahí",
            "{brand} {insult} {insult} {insult}",
            "Menuda empresa de {insult}, daros de baja del mundo",
            "Que os den, {insult}",
            "El community manager de {brand} es {insult}",
            "Iros a la mierda {brand} {emo_neg}",
            "Sois {insult} y lo sabéis, ridículos",
            "A ver si quebráis ya, {insult}",
        ],
        "en": [
            "{brand} you are {insult} {emo_neg}",
            "Everyone at {brand} is {insult}, hope you go bankrupt",
            "lol what {insult} work there",
            "{brand} {insult} {insult} {insult}",
            "What a company of {insult}, just disappear",
            "Screw you, {insult}",
            "The social media guy at {brand} is {insult}",
            "Go to hell {brand} {emo_neg}",
            "You are {insult} and you know it, pathetic",
            "Can't wait for you to go bust, {insult}",
        ],
    },
    ("spam", "neutral"): {
        "es": [
            "Gana dinero desde casa con bitcoin, info en mi bio https://t.co/ab{n}",
            "Sígueme y te sigo, seguidores gratis ➡️ https://bit.ly/x{n}",
            "Inversión en cripto con ingresos pasivos garantizados, escríbeme al privado "
            "#crypto #bitcoin #dinero #libertad",
            "iPhone gratis para los 100 primeros, pincha aquí https://t.co/ip{n}",
            "Préstamo rápido sin papeles, whatsapp +34 600 000 {n}",
            "Apuestas seguras 100% ganadoras, únete a mi canal telegram @apuestas{n}",
            "Código promocional para casino online, haz clic https://t.co/cs{n}",
            "Trabaja desde casa y gana 300 € al día https://t.co/tr{n} #empleo #dinero #trabajo #casa",
        ],
        "en": [
            "Earn money from home with bitcoin, info in my bio https://t.co/ab{n}",
            "Follow back, free followers ➡️ https://bit.ly/x{n}",
            "Crypto investing with guaranteed passive income, DM me #crypto #bitcoin #money #freedom",
            "Free iPhone for the first 100, click here https://t.co/ip{n}",
            "Fast loans no paperwork, whatsapp +1 555 000 {n}",
            "Sure bets 100% winners, join my telegram @bets{n}",
            "Online casino promo code, click here https://t.co/cs{n}",
            "Work from home and earn $300 a day https://t.co/tr{n} #jobs #money #work #home",
        ],
    },
    ("other", "neutral"): {
        "es": [
            "Hoy en {city} presentan la nueva tienda de {brand}",
            "Leyendo sobre el despliegue del 5G en {city}",
            "{brand} anuncia cambios en su consejo de administración",
            "El vuelo a {city} sale de la puerta B12 según la pantalla",
            "Mañana hay huelga de transporte en {city}",
            "Resultados trimestrales de {brand} este jueves",
            "Me he cambiado de compañía este mes, ya veremos",
            "Comparando tarifas de fibra para el piso nuevo",
            "El pleno del ayuntamiento de {city} debate hoy los presupuestos",
            "Reunión con los vecinos sobre la antena nueva",
            "Viendo el partido en casa",
            "Artículo interesante sobre atención al cliente en redes sociales",
        ],
        "en": [
            "{brand} opens a new store in {city} today",
            "Reading about the 5G rollout in {city}",
            "{brand} announces board changes",
            "Flight to {city} boards from gate B12 per the screen",
            "Transit strike in {city} tomorrow",
            "{brand} quarterly results out on Thursday",
            "Switched providers this month, we'll see",
            "Comparing fiber plans for the new flat",
            "City council in {city} debates the budget today",
            "Meeting with neighbours about the new antenna",
            "Watching the game at home",
            "Interesting article about customer care on social media",
        ],
    },
    ("other", "positive"): {
        "es": [
            "Qué día más bonito hace en {city} {emo_pos}",
            "Orgullosa del equipo de voluntarios de {city}, gran trabajo {emo_pos}",
            "Feliz de empezar las vacaciones por fin {emo_pos}",
            "Enhorabuena a todas las personas premiadas hoy, ¡muy merecido!",
            "Gran noticia para {city}: abren el nuevo hospital",
            "Excelente debate hoy en el congreso, así se construye país",
            "Gracias a todos los que vinisteis ayer, fue precioso {emo_pos}",
        ],
        "en": [
            "What a beautiful day in {city} {emo_pos}",
            "Proud of the volunteers in {city}, great work {emo_pos}",
            "Happy to finally start my holidays {emo_pos}",
            "Congratulations to all the winners today, well deserved!",
            "Great news for {city}: the new hospital opens",
            "Excellent debate in parliament today, that's how it should be",
            "Thanks to everyone who came yesterday, it was lovely {emo_pos}",
        ],
    },
    ("other", "negative"): {
        "es": [
            "Qué tráfico más horrible hay hoy en {city} {emo_neg}",
            "Triste día para {city}, todo mi apoyo a las familias",
            "Vergonzoso lo que ha votado hoy el gobierno",
            "Otra subida de la luz, esto es insostenible",
            "Lamentable el estado de las carreteras en {city}",
            "Qué pena lo que está pasando con la sanidad pública",
            "Odio los lunes y este más {emo_neg}",
        ],
        "en": [
            "Traffic in {city} is horrible today {emo_neg}",
            "Sad day for {city}, thoughts with the families",
            "Shameful vote by the government today",
            "Another energy price hike, this is unsustainable",
            "The roads in {city} are in a terrible state",
            "What a shame what's happening to public healthcare",
            "I hate Mondays and this one even more {emo_neg}",
        ],
    },
}


# Short, free-form posts: real timelines are full of them, and templates alone make long sentences.
SHORT: dict[tuple[str, str, str], list[str]] = {
    ("es", "complaint", "negative"): [
        "Menudo desastre.",
        "Vaya tela.",
        "Qué vergüenza de servicio",
        "Fatal, como siempre",
        "Otra vez igual...",
        "Nunca más vuelvo a volar con vosotros",
        "Indignada con el trato recibido",
        "Cuatro horas de retraso. Genial, ¿eh?",
        "Lo peor que me ha pasado en un aeropuerto",
        "Estoy hasta las narices",
        "Qué poca seriedad",
        "Me habéis arruinado las vacaciones",
        "Ni una disculpa",
        "Esto no hay quien lo aguante",
        "Sin maleta y sin respuesta",
        "Vaya servicio más malo",
        "Qué mal lo estáis haciendo",
        "Menudo caos en la terminal",
        "Llevo una hora en la cola, ridículo",
        "No volveré a comprar aquí",
        "Pésima experiencia",
        "Nadie coge el teléfono",
        "Tremendo despropósito",
        "Es indignante",
    ],
    ("es", "praise", "positive"): [
        "¡Gracias!",
        "Genial, gracias",
        "Maravilloso vuelo",
        "Todo perfecto 👏",
        "Sois los mejores",
        "Encantada con el servicio",
        "Qué bien lo habéis hecho",
        "Un diez",
        "Muy buena experiencia",
        "Me ha encantado",
        "Gracias por todo, de verdad",
        "Así da gusto",
        "Impecable",
        "Volveré seguro",
        "Qué tripulación tan simpática",
        "Rapidísimos, gracias",
        "Bravo por el equipo",
        "¡Qué maravilla!",
        "Buen viaje y buen trato",
        "Contentísimo",
        "Gracias por la atención, muy amables",
        "Feliz con el cambio",
    ],
    ("es", "other", "neutral"): [
        "Embarcando",
        "Rumbo a Canarias",
        "En el aeropuerto esperando",
        "Mañana vuelo a Roma",
        "Nueva ruta Madrid-Lisboa desde junio",
        "¿Alguien en el vuelo de las 7?",
        "Hoy reunión de equipo",
        "Aterrizando en Barajas",
        "Primer día con el móvil nuevo",
        "Mirando vuelos para agosto",
        "Comunicado oficial sobre el horario de verano",
        "Hoy se vota la ley en el congreso",
        "Rueda de prensa a las 12",
        "Ya en casa",
        "Cambio de terminal para los vuelos internacionales",
        "El ministro comparece esta tarde",
        "Horario de verano de las tiendas",
        "Recogiendo la maleta",
    ],
    ("es", "other", "positive"): [
        "Qué ganas de vacaciones",
        "Orgullosos del trabajo de hoy",
        "Gran día en Valencia",
        "Gracias a todos por el apoyo",
        "Enhorabuena a los premiados",
        "Feliz fin de semana a todos",
    ],
    ("es", "other", "negative"): [
        "Qué día más triste",
        "Vaya lunes",
        "Indignante la decisión del gobierno",
        "Qué pena de país",
        "Lamentable lo de hoy en el pleno",
        "Malas noticias para el empleo",
    ],
    ("en", "complaint", "negative"): [
        "What a mess.",
        "Unreal.",
        "Such a disgrace",
        "Awful, as usual",
        "Same thing again...",
        "Never flying with you again",
        "Furious about how I was treated",
        "Four hour delay. Great, huh?",
        "Worst airport experience ever",
        "I'm so done",
        "So unprofessional",
        "You ruined my vacation",
        "Not even an apology",
        "This is unbearable",
        "No bag and no answers",
        "Terrible service",
        "You guys are really blowing it",
        "Total chaos at the terminal",
        "An hour in line, ridiculous",
        "Never shopping here again",
        "Horrible experience",
        "Nobody picks up the phone",
        "Absolute joke",
        "Disgusting",
    ],
    ("en", "praise", "positive"): [
        "Thanks!",
        "Great, thank you",
        "Wonderful flight",
        "All perfect 👏",
        "You're the best",
        "Loved the service",
        "Well done guys",
        "10/10",
        "Great experience",
        "Loved it",
        "Thanks for everything, really",
        "That's how it's done",
        "Flawless",
        "Will be back for sure",
        "Such a friendly crew",
        "Super quick, thanks",
        "Kudos to the team",
        "Amazing!",
        "Smooth trip and kind staff",
        "So happy",
        "Thanks for the help, very kind",
        "Happy with the switch",
    ],
    ("en", "other", "neutral"): [
        "Boarding",
        "Heading to Hawaii",
        "At the airport waiting",
        "Flying to Rome tomorrow",
        "New route Boston-Lisbon from June",
        "Anyone on the 7am flight?",
        "Team meeting today",
        "Landing at JFK",
        "First day with the new phone",
        "Looking at flights for August",
        "Official statement on summer hours",
        "Parliament votes on the bill today",
        "Press conference at noon",
        "Home now",
        "Terminal change for international flights",
        "The minister speaks this afternoon",
        "Summer opening hours",
        "Picking up my bag",
    ],
    ("en", "other", "positive"): [
        "Can't wait for the holidays",
        "Proud of today's work",
        "Great day in Seattle",
        "Thanks everyone for the support",
        "Congrats to the winners",
        "Happy weekend everyone",
    ],
    ("en", "other", "negative"): [
        "What a sad day",
        "Rough Monday",
        "Outrageous decision by the government",
        "Such a shame",
        "Disgraceful scenes in parliament today",
        "Bad news for jobs",
    ],
}

# Share of PER_GROUP each (category, sentiment) gets, so categories and sentiments stay balanced.
WEIGHTS = {
    ("complaint", "negative"): 1.0,
    ("complaint", "neutral"): 0.35,
    ("question", "neutral"): 0.8,
    ("question", "negative"): 0.3,
    ("praise", "positive"): 1.0,
    ("troll", "negative"): 0.8,
    ("spam", "neutral"): 0.6,
    ("other", "neutral"): 0.8,
    ("other", "positive"): 0.5,
    ("other", "negative"): 0.5,
}

OPENERS = {
    "es": ["", "", "", "Buenas, ", "Hola, ", "Oye ", "A ver, ", "Por favor, "],
    "en": ["", "", "", "Hey ", "Hi, ", "So ", "Honestly ", "Please, "],
}


def _fill(template: str, lang: str, rng: random.Random) -> str:
    values = FILL[lang]
    text = template
    while "{" in text:
        start = text.index("{")
        end = text.index("}", start)
        key = text[start + 1 : end]
        value = str(rng.randint(10, 999)) if key == "n" else rng.choice(values[key])
        text = text[:start] + value + text[end + 1 :]
    text = text.strip()
    opener = rng.choice(OPENERS[lang])
    if opener and not text.startswith(("@", "¿")):
        text = opener + text[0].lower() + text[1:]
    if rng.random() < 0.1:
        text = text.lower()
    if rng.random() < 0.08 and not text.endswith("!"):
        text += "!!"
    return text


def rows() -> list[tuple[str, str, str, str, str]]:
    rng = random.Random(SEED)
    seen: set[str] = set()
    out: list[tuple[str, str, str, str, str]] = []
    for (category, sentiment), by_lang in TEMPLATES.items():
        for lang, templates in by_lang.items():
            wanted = round(PER_GROUP * WEIGHTS[(category, sentiment)])
            attempts = 0
            made = 0
            while made < wanted and attempts < wanted * 30:
                attempts += 1
                text = _fill(rng.choice(templates), lang, rng)
                if text in seen:
                    continue
                seen.add(text)
                out.append((text, lang, sentiment, category, "template"))
                made += 1
    for (lang, category, sentiment), texts in SHORT.items():
        for text in texts:
            for variant in (text, f"{rng.choice(FILL[lang]['brand'])} {text}"):
                if variant not in seen:
                    seen.add(variant)
                    out.append((variant, lang, sentiment, category, "short"))
    for source, made in (
        ("varied", varied_rows(rng, VARIED_PER_LANGUAGE)),
        ("genre", genre_rows(rng, GENRE_PER_LANGUAGE)),
    ):
        for row in made:
            if row[0] not in seen:
                seen.add(row[0])
                out.append((*row, source))
    rng.shuffle(out)
    return out


def main() -> None:
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "lang", "sentiment", "category", "source"])
        writer.writerows(rows())


if __name__ == "__main__":
    main()
