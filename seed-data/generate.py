#!/usr/bin/env python3
"""Generate the seed data of the demo farm (see README.md next to this file).

Usage: python3 seed-data/generate.py [--farm PATH]

The farm list (the operator's export: dbname, host, deployment_group, status) is read from --farm,
else from the seed-data/wikis.tsv written by an earlier run. Everything except the secrets is derived from a
fixed random seed, so reruns give identical files. The secrets (wiki keys, staff passwords and
tokens) come from `secrets`; when demo-credentials.json already exists they are read back from it,
so a rerun keeps them.
"""

import argparse
import json
import math
import os
import random
import secrets
import sys
import unicodedata

SEED = 20260821
HERE = os.path.dirname(os.path.abspath(__file__))

USER_COUNT = 3000           # rows of users.tsv, the sandbox users included
OAUTH_GRANT_COUNT = 600     # rows of oauth-grants.tsv, the sandbox users included
BOT_PASSWORD_COUNT = 400    # rows of bot-passwords.tsv, the sandbox users included

SANDBOX_USERS = ["Sandbox Alice", "Sandbox Bob", "Sandbox Carol"]
SANDBOX_CONSUMER = "SandboxTool"
SANDBOX_APP_ID = "sandboxbot"
STAFF_ROLES = ["steward", "developer", "support"]
# Never generated as ordinary user names (compared case-insensitively).
RESERVED_NAMES = {n.casefold() for n in SANDBOX_USERS + STAFF_ROLES}

GRANTS = ["basic", "highvolume", "editpage", "editprotected", "createeditmovepage", "uploadfile",
          "uploadeditmovefile", "patrol", "rollback", "blockusers", "viewdeleted", "editmyoptions",
          "editinterface", "sendemail"]

# --------------------------------------------------------------------------------------------
# Traffic weights (estimates of relative traffic, enwiki = 10000)
# --------------------------------------------------------------------------------------------

HAND_WEIGHTS = {
    "enwiki": 10000, "commonswiki": 3600, "wikidatawiki": 3200, "dewiki": 2400, "frwiki": 1900,
    "jawiki": 1800, "eswiki": 1700, "ruwiki": 1500, "itwiki": 1200, "zhwiki": 1100,
    "ptwiki": 900, "plwiki": 700, "metawiki": 650, "loginwiki": 600, "enwiktionary": 520,
    "nlwiki": 500, "arwiki": 480, "fawiki": 450, "svwiki": 380, "idwiki": 360, "kowiki": 340,
    "trwiki": 330, "ukwiki": 320, "viwiki": 300, "hewiki": 280, "cswiki": 260, "huwiki": 230,
    "mediawikiwiki": 220, "fiwiki": 200, "thwiki": 180, "enwikisource": 170, "nowiki": 150,
    "rowiki": 140, "dawiki": 130, "hiwiki": 130, "elwiki": 120, "cawiki": 120, "bnwiki": 110,
    "srwiki": 100, "simplewiki": 100, "frwiktionary": 90, "enwikivoyage": 80,
    "enwikibooks": 75, "enwikiquote": 70, "specieswiki": 60, "labswiki": 60,
    # Other non-content and test wikis.
    "wikifunctionswiki": 25, "testwiki": 25, "donatewiki": 20, "incubatorwiki": 15,
    "foundationwiki": 12, "testwikidatawiki": 12, "test2wiki": 10, "votewiki": 6,
    "sourceswiki": 5, "abstractwiki": 5, "outreachwiki": 4, "wikimaniawiki": 4,
    "testcommonswiki": 4, "nostalgiawiki": 1, "thankyouwiki": 1,
}

FAMILIES = ["wikipedia", "wiktionary", "wikisource", "wikibooks", "wikiquote", "wikivoyage",
            "wikinews", "wikiversity"]

# Languages of the ~35 biggest Wikipedias, then a middle tier; the rest is the tail.
BIG_LANGS = ("en de fr ja es ru it zh pt pl nl ar fa sv id ko tr uk vi he cs hu fi th no ro da "
             "hi el ca bn sr").split()
MID_LANGS = ("bg ms eu gl hr sk sl lt et lv ta te ml mr ur kk az hy ka be uz sh sq mk bs eo la "
             "is af ceb tl my si ne kn gu pa sw arz cy ga nn be-tarask zh-yue zh-min-nan ast "
             "azb ckb ky tt ba lb oc").split()

# Default weight by family and language tier (big, mid, tail).
FAMILY_DEFAULTS = {
    "wikipedia": (120, 40, 6),
    "wiktionary": (40, 8, 2),
    "wikisource": (25, 5, 1),
    "wikibooks": (20, 4, 1),
    "wikiquote": (20, 4, 1),
    "wikivoyage": (20, 4, 1),
    "wikinews": (12, 3, 1),
    "wikiversity": (12, 3, 1),
}
CHAPTER_WEIGHT = 2          # xxwikimedia chapter wikis
OTHER_WEIGHT = 2            # anything else that is open

# Host prefixes of language-family hosts that are not languages.
NON_LANG_PREFIXES = {"test", "test2", "abstract", "nostalgia", "thankyou"}


def family_and_lang(dbname, host):
    """Return (family, language) of a wiki; either may be None."""
    parts = host.split(".")
    if len(parts) == 3 and parts[1] in FAMILIES and parts[2] == "org":
        prefix = parts[0]
        if prefix == "simple":
            return parts[1], "en"
        if prefix in NON_LANG_PREFIXES or "-" in prefix and prefix.split("-")[0] in (
                "arbcom", "sysop", "wg"):
            return parts[1], None
        return parts[1], prefix
    if dbname.endswith("wikimedia") and host.endswith(".wikimedia.org"):
        return "chapter", None
    return None, None


def compute_weights(wikis, rng):
    weights = {}
    for w in wikis:
        db = w["dbname"]
        if w["status"] == "closed":
            weights[db] = 0
            continue
        if w["status"] == "private":
            weights[db] = 1
            continue
        if db in HAND_WEIGHTS:
            weights[db] = HAND_WEIGHTS[db]
            continue
        family, lang = w["family"], w["lang"]
        if family in FAMILY_DEFAULTS and lang is not None:
            big, mid, tail = FAMILY_DEFAULTS[family]
            if w["host"].startswith("simple."):
                base = mid      # Simple English sister projects
            else:
                base = big if lang in BIG_LANGS else mid if lang in MID_LANGS else tail
        elif family == "chapter":
            base = CHAPTER_WEIGHT
        else:
            base = OTHER_WEIGHT
        # Deterministic spread around the default, so the tail is not a flat plateau.
        weights[db] = max(1, round(base * math.exp(rng.uniform(-0.45, 0.45))))
    return weights


# --------------------------------------------------------------------------------------------
# User names
# --------------------------------------------------------------------------------------------

def words(s):
    return s.split()


def names(s):
    return [x.strip() for x in s.split(",") if x.strip()]


# Latin-script real-name pools: (first names, last names).
LATIN_POOLS = {
    "en": (names("James, Michael, Sarah, Emily, David, Jennifer, Robert, Laura, Daniel, Rachel, "
                 "Thomas, Katherine, Andrew, Megan, Christopher, Jessica, Matthew, Hannah, "
                 "Jonathan, Rebecca, Peter, Alice, George, Olivia, Samuel, Grace, Benjamin, "
                 "Claire, Nicholas, Fiona, Patrick, Siobhan, Owen, Bethany, Ian, Helen, Gareth, "
                 "Nina, Marcus, Abigail, Liam, Chloe, Ethan, Zoe, Kevin, Heather, Brian, Wendy"),
           names("Smith, Johnson, Williams, Brown, Taylor, Wilson, Davies, Evans, Thompson, "
                 "Walker, Wright, Robinson, Hughes, Clarke, Hall, Green, Baker, Carter, Mitchell, "
                 "Turner, Phillips, Campbell, Parker, Morgan, Cooper, Reed, Bailey, Kelly, "
                 "Howard, Ward, Fletcher, Harrington, O'Brien, MacLeod, Whitfield, Ashworth, "
                 "Pemberton, Doyle, Sullivan, Jenkins, Lawson, Gallagher, Brennan, Holloway")),
    "de": (names("Mathias, Jürgen, Katrin, Sabine, Stefan, Andreas, Uwe, Wolfgang, Birgit, Ulrike, "
                 "Jörg, Claudia, Matthias, Tobias, Anja, Dieter, Heike, Lukas, Felix, Jonas, Lena, "
                 "Marie, Klaus, Günther, Renate, Björn, Sönke, Jens, Kerstin, Frauke, Hannes, "
                 "Gudrun, Reinhard, Annegret, Till, Wiebke"),
           names("Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, "
                 "Hoffmann, Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, "
                 "Schwarz, Zimmermann, Braun, Krüger, Hofmann, Hartmann, Lange, Vogel, Jäger, "
                 "Bergmann, Kühn, Weißenborn, Köhler, Brandt, Haas, Voß, Oberländer, Grünwald")),
    "fr": (names("Jean, Pierre, Marie, François, Hélène, Sophie, Nicolas, Julien, Camille, Élodie, "
                 "Mathieu, Céline, Benoît, Aurélie, Guillaume, Sébastien, Chloé, Théo, Léa, "
                 "Jérôme, Anne-Sophie, Jean-Pierre, Jean-Luc, Marie-Claire, Gaëlle, Yannick"),
           names("Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, "
                 "Simon, Laurent, Lefèvre, Michel, Garcia, Bertrand, Roux, Vincent, Fournier, "
                 "Morel, Girard, André, Mercier, Dupont, Lambert, Bonnet, Fontaine, Rousseau, "
                 "Chevalier, Gauthier, Le Goff, Péron")),
    "es": (names("Alejandro, Lucía, Javier, Carmen, José, María, Sergio, Marta, Pablo, Elena, "
                 "Álvaro, Inés, Andrés, Sofía, Diego, Paula, Raúl, Nuria, Iñaki, Ainhoa, Gonzalo, "
                 "Valentina, Matías, Camila, Jordi, Montserrat"),
           names("García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, "
                 "Martín, Jiménez, Ruiz, Hernández, Díaz, Moreno, Álvarez, Muñoz, Romero, "
                 "Navarro, Torres, Domínguez, Vázquez, Ramos, Gil, Serrano, Ortega, Castillo, "
                 "Rubio, Molina, Morales, Suárez, Iglesias, Puig, Ferrer")),
    "pt": (names("João, Maria, Ana, Pedro, Lucas, Mariana, Gabriel, Beatriz, Rafael, Juliana, "
                 "Tiago, Inês, Gonçalo, Leonor, Rodrigo, Carolina, Fernanda, Thiago, Larissa, "
                 "Vinícius"),
           names("Silva, Santos, Oliveira, Souza, Pereira, Costa, Rodrigues, Almeida, Nascimento, "
                 "Lima, Araújo, Fernandes, Carvalho, Gomes, Martins, Rocha, Ribeiro, Alves, "
                 "Monteiro, Mendes, Barbosa, Cardoso, Teixeira, Correia, Gonçalves, Conceição")),
    "it": (names("Marco, Giulia, Alessandro, Francesca, Luca, Chiara, Andrea, Sara, Matteo, "
                 "Valentina, Lorenzo, Martina, Davide, Federica, Simone, Elisa, Giorgio, Paola, "
                 "Nicola, Stefania, Niccolò"),
           names("Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, "
                 "Bruno, Gallo, Conti, De Luca, Mancini, Giordano, Rizzo, Lombardi, Moretti, "
                 "Barbieri, Fontana, Santoro, Mariani, Rinaldi, Caruso, Ferrara, Galli, Martini, "
                 "Leone, Longo, Gentile")),
    "pl": (names("Piotr, Anna, Krzysztof, Katarzyna, Tomasz, Małgorzata, Paweł, Agnieszka, "
                 "Michał, Magdalena, Łukasz, Joanna, Marcin, Ewa, Jakub, Aleksandra, Wojciech, "
                 "Zofia, Grzegorz, Dorota"),
           names("Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, "
                 "Zieliński, Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Mazur, "
                 "Kwiatkowski, Krawczyk, Piotrowski, Grabowski, Pawłowski, Michalski, Zając, "
                 "Król, Wieczorek")),
    "nl": (names("Jan, Pieter, Sanne, Daan, Femke, Bram, Lotte, Sem, Anouk, Joost, Maarten, Ilse, "
                 "Ruud, Wouter, Eline, Koen, Marieke, Thijs, Floor"),
           names("de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, "
                 "Meijer, de Boer, Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, "
                 "Dekker, Brouwer, de Wit, Dijkstra, de Graaf, van der Meer")),
    "nordic": (names("Erik, Lars, Anders, Karin, Ingrid, Johan, Sofia, Magnus, Astrid, Nils, "
                     "Sigrid, Henrik, Maja, Oskar, Linnea, Mikael, Elin, Björn, Åsa, Pekka, Jukka, "
                     "Aino, Mikko, Liisa, Sami, Kirsi, Søren, Mette, Ørjan, Kristian"),
               names("Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, "
                     "Persson, Svensson, Gustafsson, Lindqvist, Berg, Hansen, Johansen, Olsen, "
                     "Larsen, Andersen, Pedersen, Nielsen, Jensen, Sørensen, Korhonen, Virtanen, "
                     "Mäkinen, Nieminen, Mäkelä, Hämäläinen, Laine, Heikkinen, Koskinen, "
                     "Järvinen, Lindström, Åberg")),
    "cs": (names("Tomáš, Petr, Jana, Lucie, Jiří, Kateřina, Ondřej, Zuzana, Martin, Veronika, "
                 "Jakub, Tereza, Vojtěch, Markéta, Michal, Barbora"),
           names("Novák, Svoboda, Novotný, Dvořák, Černý, Procházka, Kučera, Veselý, Horák, "
                 "Němec, Marek, Pokorný, Růžička, Beneš, Fiala, Sedláček")),
    "hu": (names("Zoltán, Gábor, Zsófia, Katalin, László, Eszter, Péter, Anna, Balázs, Réka, "
                 "Tamás, Judit, Attila, Orsolya"),
           names("Nagy, Kovács, Tóth, Szabó, Horváth, Varga, Kiss, Molnár, Németh, Farkas, "
                 "Balogh, Papp, Takács, Juhász")),
    "tr": (names("Mehmet, Ayşe, Mustafa, Emre, Zeynep, Elif, Burak, Can, Selin, Murat, Deniz, "
                 "Gökhan, Esra, Oğuz, Büşra"),
           names("Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Öztürk, Aydın, Arslan, Doğan, "
                 "Kılıç, Aslan, Çetin, Koç, Kurt")),
    "id": (names("Budi, Siti, Agus, Dewi, Rizky, Putri, Andi, Rina, Fajar, Indah, Wahyu, Ayu, "
                 "Hendra, Nurul, Bayu"),
           names("Santoso, Wijaya, Pratama, Saputra, Hidayat, Kusuma, Nugroho, Setiawan, "
                 "Purnomo, Gunawan, Siregar, Nasution, Harahap, Sihombing")),
    "vi": (names("An, Bình, Minh, Hoa, Lan, Tuấn, Hùng, Thảo, Linh, Dũng, Hương, Quang, Trang, "
                 "Phúc"),
           names("Nguyễn, Trần, Lê, Phạm, Hoàng, Huỳnh, Phan, Vũ, Võ, Đặng, Bùi, Đỗ, Hồ, Ngô")),
    "ro": (names("Andrei, Elena, Mihai, Ioana, Alexandru, Maria, Bogdan, Cristina, Radu, Ana, "
                 "Ștefan, Irina"),
           names("Popescu, Ionescu, Popa, Stan, Dumitru, Dinu, Constantin, Marin, Stoica, "
                 "Georgescu, Munteanu, Lungu")),
    "in": (names("Rahul, Priya, Amit, Sunita, Vikas, Anjali, Arjun, Kavya, Rohan, Neha, Sanjay, "
                 "Deepa, Aditya, Pooja, Karthik, Lakshmi, Suresh, Meera"),
           names("Sharma, Verma, Gupta, Singh, Patel, Kumar, Reddy, Iyer, Nair, Das, Mukherjee, "
                 "Chatterjee, Joshi, Kulkarni, Menon, Rao, Pillai, Bose")),
    "ru": (names("Timofey, Alexey, Dmitry, Anna, Maria, Sergey, Olga, Natalia, Ivan, Ekaterina, "
                 "Mikhail, Andrey, Tatiana, Vladimir, Elena, Nikolai, Yulia, Artyom, Kseniya, "
                 "Pavel, Taras, Oksana, Bohdan"),
           names("Smirnov, Ivanov, Kuznetsov, Popov, Vasiliev, Petrov, Sokolov, Mikhailov, "
                 "Novikov, Fedorov, Morozov, Volkov, Lebedev, Kozlov, Egorov, Shevchenko, "
                 "Kovalenko, Bondarenko, Melnyk")),
}

RU_FEMALE = set(names("Anna, Maria, Olga, Natalia, Ekaterina, Tatiana, Elena, Yulia, Kseniya, "
                      "Oksana"))

# Which name pool a language uses (languages not listed use "en").
LANG_POOL = {}
for _pool, _langs in {
    "de": "de als bar nds ksh pdc pfl lb hsb dsb frr stq",
    "fr": "fr frp br co wa pcd nrm oc ht gcr",
    "es": "es ast an ext ca eu gl cbk-zam qu ay gn nah lad",
    "pt": "pt mwl",
    "it": "it vec nap scn lij lmo pms eml fur sc lld roa-tara",
    "pl": "pl csb szl",
    "nl": "nl fy li zea vls nds-nl af",
    "nordic": "sv no nn da is fo fi se smn olo vep fiu-vro et",
    "cs": "cs sk",
    "hu": "hu",
    "tr": "tr az gag crh tk",
    "id": "id ms jv su min ban bjn map-bms ace bug gor mad nia btm bew",
    "vi": "vi",
    "ro": "ro roa-rup",
    "in": "hi mr bn ta te ml kn gu pa or as ne sa mai bh awa anp new gom bpy",
    "ru": "ru uk be be-tarask bg sr mk kk ky tt ba cv sah os ce udm kv mhr myv mdf",
}.items():
    for _lang in _langs.split():
        LANG_POOL[_lang] = _pool

# Native-script names: lang -> (male or neutral first, female first, last, female-last rule, join)
NATIVE = {
    "ru": (words("Тимофей Алексей Дмитрий Сергей Иван Михаил Андрей Владимир Николай Артём Павел "
                 "Григорий Фёдор"),
           words("Анна Мария Ольга Наталья Екатерина Татьяна Елена Юлия Ксения Дарья Светлана"),
           words("Смирнов Иванов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров "
                 "Морозов Волков Лебедев Козлов Егоров"), "а", " "),
    "uk": (words("Тарас Богдан Андрій Олександр Дмитро Остап Мирослав"),
           words("Олена Оксана Наталія Ірина Юлія Соломія Леся"),
           words("Шевченко Коваленко Бондаренко Ткаченко Кравченко Мельник Поліщук Лисенко "
                 "Гнатюк"), "", " "),
    "bg": (words("Георги Иван Димитър Николай Петър"), words("Мария Десислава Цветелина Елена"),
           words("Георгиев Иванов Димитров Петров Стоянов Николов"), "а", " "),
    "sr": (words("Марко Никола Милош Душан Стефан"), words("Јелена Милица Драгана Ана"),
           words("Јовановић Петровић Николић Марковић Ђорђевић"), "", " "),
    "el": (words("Γιώργος Νίκος Κώστας Δημήτρης Γιάννης Παναγιώτης"),
           words("Μαρία Ελένη Κατερίνα Σοφία Αγγελική"),
           words("Παπαδόπουλος Οικονόμου Γεωργίου Νικολάου Αντωνίου"), "", " "),
    "ja": (words("太郎 健太 翔太 大輔 誠 浩 拓也 一郎 直樹"),
           words("花子 美咲 陽菜 由美 さくら 恵子 愛"),
           words("山田 佐藤 鈴木 高橋 田中 伊藤 渡辺 中村 小林 加藤 吉田 山本"), "", ""),
    "zh": (words("小明 伟 磊 洋 勇 杰 浩然 子轩 志强 建国"),
           words("芳 娜 敏 静 艳 婷 子涵 雨桐 欣怡 美玲"),
           words("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 林 郭"), "", ""),
    "ko": (words("민준 지훈 도윤 현우 준서 성민"), words("서연 하은 수빈 지민 예은 유진"),
           words("김 이 박 최 정 강 조 윤 장 임"), "", ""),
    "ar": (words("محمد أحمد علي يوسف عمر خالد حسن"), words("فاطمة مريم سارة ليلى نور هدى"),
           words("العلي الحسن إبراهيم منصور سالم حداد"), "", " "),
    "fa": (words("علی رضا حسین امیر مهدی"), words("مریم زهرا نگار سارا فاطمه"),
           words("رضایی احمدی محمدی حسینی کریمی موسوی"), "", " "),
    "he": (words("דוד משה אורי יוסי איתי"), words("יעל נועה תמר מיכל שירה"),
           words("כהן לוי מזרחי פרץ ביטון אברהם"), "", " "),
    "hi": (words("राहुल अमित विकास अर्जुन संजय"), words("प्रिया सुनीता अंजलि पूजा नेहा"),
           words("शर्मा वर्मा गुप्ता सिंह पटेल"), "", " "),
    "bn": (words("রহিম সুমন আরিফ তানভীর"), words("তানিয়া নুসরাত সুমাইয়া"),
           words("আহমেদ রায় দাস হোসেন"), "", " "),
    "th": (words("สมชาย อนันต์ ประเสริฐ วิชัย"), words("สมหญิง วิไล สุดารัตน์ นภา"),
           words("ใจดี ศรีสุข สุขสวัสดิ์ วงศ์ไทย"), "", " "),
    "ka": (words("გიორგი დავით ლევან"), words("ნინო თამარ მარიამ"),
           words("ბერიძე კაპანაძე გელაშვილი მაისურაძე"), "", " "),
    "hy": (words("Արամ Դավիթ Նարեկ"), words("Անի Մարիամ Լուսինե"),
           words("Հովհաննիսյան Սարգսյան Պետրոսյան"), "", " "),
}
NATIVE_LANG = {"ru": "ru", "be": "ru", "be-tarask": "ru", "kk": "ru", "tt": "ru", "ba": "ru",
               "sah": "ru", "cv": "ru", "uk": "uk", "rue": "uk", "bg": "bg", "mk": "bg", "sr": "sr",
               "sh": "sr", "el": "el", "ja": "ja", "zh": "zh", "zh-yue": "zh", "wuu": "zh",
               "gan": "zh", "zh-classical": "zh", "ko": "ko", "ar": "ar", "arz": "ar", "ary": "ar",
               "fa": "fa", "azb": "fa", "glk": "fa", "mzn": "fa", "he": "he", "hi": "hi",
               "mr": "hi", "ne": "hi", "mai": "hi", "bn": "bn", "th": "th", "ka": "ka",
               "hy": "hy"}
# Share of native-script names for users of these languages.
NATIVE_SHARE = {"ja": 0.55, "zh": 0.5, "ko": 0.55, "ru": 0.45, "uk": 0.45, "bg": 0.4,
                "sr": 0.35, "el": 0.35, "ar": 0.45, "fa": 0.45, "he": 0.4, "hi": 0.25,
                "bn": 0.35, "th": 0.45, "ka": 0.4, "hy": 0.4}
NATIVE_HANDLES = {
    "ja": words("しろくま はやぶさ ゆきだるま ねこまる たぬき吉 こもれび 星の砂 青い鳥 みかん箱"),
    "zh": words("维基小编 书虫 长江水 云中鹤 星河 青山 海风 竹林听雨 夜雨 墨客"),
    "ru": words("Тимофей Лесник Странник Книжник Полярник Звездочёт Краевед Летописец"),
    "ko": words("하늘바다 별빛 산들바람 나무늘보"),
    "ar": words("أبو_فراس ابن_بطوطة"),
}

ADJECTIVES = words("Quiet Silver Blue Crimson Amber Little Wandering Lazy Rusty Polar Northern "
                   "Misty Ancient Curious Clever Sleepy Stubborn Gentle Brave Grumpy Cosmic "
                   "Digital Analog Random Obscure Pedantic Humble Merry Odd Stray Hidden Iron "
                   "Golden Green Red Grey White Black Wild Lone Old Young Tiny Mighty Salty")
NOUNS = words("Ferret Badger Marmot Heron Kestrel Lynx Otter Puffin Osprey Raven Wombat Pangolin "
              "Axolotl Quokka Tardigrade Narwhal Ibex Gecko Falcon Harrier Magpie Jackdaw Sparrow "
              "Starling Curlew Lapwing Beaver Moose Walrus Hedgehog Owl Fox Wolf Bear Hare Crane "
              "Lantern Compass Anchor Quill Inkwell Archive Atlas Almanac Footnote Citation Stub "
              "Redlink Gnome Scribe Pilgrim Ranger Tinker Cartographer Librarian Pedant Monk "
              "River Harbour Meadow Glacier Comet Nebula Lighthouse Orchard Thistle Fern Birch")
HANDLES = words("Eloquence Serendipity Verbosity Equanimity Quietude Wanderlust Solitude Clarity "
                "Entropy Parallax Zenith Nadir Meridian Aphelion Cadence Tessellate Lexicon "
                "Marginalia Palimpsest Errata Colophon Wikignome Wikifairy Ripley Odysseus Athena "
                "Morpheus Tiamat Freya Hermes Icarus Cassandra Orpheus Perseus Nemo Ishmael "
                "Quixote Sancho Bartleby Gulliver Pangur Marlowe Ozymandias Prospero Ariel Puck "
                "Titania Oberon Calliope Clio Urania Thalia Boreas Zephyr Sirocco Mistral Kepler "
                "Tycho Hypatia Euclid Archimedes Fibonacci Noether Lovelace Turing Darwin Humboldt "
                "Linnaeus Mercator Herodotus Thucydides Plinius Strabo Vitruvius Kusma Pumbaa "
                "Obelix Maigret Poirot Sherlock Watson Tintin Haddock Moomin Pippi Ronja Momo")
SYLLABLES = words("ka ku ma mi ra ro ta te lo li ne na sa so va ve ko ki da de ba bo ze zu ri ha "
                  "ho fa fe ga go pa pe ya yo ren tor lin mar ven dal kor sil bar ")
BOT_SUFFIXES = ["Bot", "bot", " Bot", "Bot", "bot"]
STAFF_SUFFIXES = ["(WMF)", "(WMF)", "(WMF)", "(WMDE)", "(WMUK)"]


def cap(s):
    return s[0].upper() + s[1:] if s else s


def made_up_handle(rng):
    n = rng.choice([2, 2, 2, 3])
    return cap("".join(rng.choice(SYLLABLES) for _ in range(n)))


def digits(rng):
    r = rng.random()
    if r < 0.4:
        return str(rng.randint(2, 99))
    if r < 0.7:
        return str(rng.randint(1955, 2012))
    if r < 0.9:
        return str(rng.randint(100, 999))
    return str(rng.randint(1000, 9999))


def handle(rng):
    r = rng.random()
    if r < 0.35:
        return rng.choice(HANDLES)
    if r < 0.55:
        return made_up_handle(rng)
    if r < 0.8:
        return rng.choice(ADJECTIVES) + rng.choice(NOUNS)
    if r < 0.9:
        return rng.choice(ADJECTIVES) + " " + rng.choice(NOUNS)
    return rng.choice(HANDLES) + " the " + rng.choice(NOUNS)


def real_name(rng, pool_name):
    first, last = LATIN_POOLS[pool_name]
    f, l = rng.choice(first), rng.choice(last)
    if pool_name == "ru" and f in RU_FEMALE and l.endswith(("ov", "ev", "in")):
        l += "a"
    if pool_name == "vi":
        return "%s %s %s" % (l, rng.choice(first), f)
    r = rng.random()
    if r < 0.7:
        return "%s %s" % (f, l)
    if r < 0.8:
        return (f + l).replace(" ", "")
    if r < 0.88:
        return "%s %s." % (f, l[0].upper())
    if r < 0.95:
        return "%s%s" % (f[0], l.replace(" ", ""))
    return "%s %s" % (f, l) + digits(rng)


def native_name(rng, key):
    male, female, last, fem_rule, join = NATIVE[key]
    if key in NATIVE_HANDLES and rng.random() < 0.2:
        return NATIVE_HANDLES[key][rng.randrange(len(NATIVE_HANDLES[key]))].replace("_", " ")
    is_female = rng.random() < 0.4
    f = rng.choice(female if is_female else male)
    l = rng.choice(last)
    if is_female and fem_rule:
        l += fem_rule
    r = rng.random()
    if r < 0.15:
        return f
    if key in ("ja", "zh", "ko"):
        return l + join + f
    return f + join + l


def make_name(rng, lang):
    nat = NATIVE_LANG.get(lang)
    if nat and rng.random() < NATIVE_SHARE[nat]:
        return native_name(rng, nat)
    r = rng.random()
    if r < 0.03:
        base = rng.choice([rng.choice(HANDLES), made_up_handle(rng),
                           rng.choice(ADJECTIVES) + rng.choice(NOUNS)])
        return base + rng.choice(BOT_SUFFIXES)
    if r < 0.035:
        pool = LATIN_POOLS[rng.choice(["en", "en", "de", "fr", "es", "it", "nl"])]
        return "%s %s %s" % (rng.choice(pool[0]), rng.choice(pool[1]), rng.choice(STAFF_SUFFIXES))
    if r < 0.42:
        return real_name(rng, LANG_POOL.get(lang, "en"))
    if r < 0.47:
        # Umlaut-ish and regional handles, like "Zürcher Leu".
        return rng.choice(["Zürcher", "Berliner", "Wiener", "Münchner", "Bärner", "Kölsche",
                           "Hamburger", "Pariser", "Baltischer", "Alter", "Grüner", "Blauer",
                           "Schwäbischer", "Ostfriesischer"]) + " " + rng.choice(
            ["Leu", "Bär", "Fuchs", "Igel", "Dachs", "Uhu", "Wal", "Hase", "Rabe", "Luchs",
             "Schreiber", "Leser", "Gärtner", "Fährmann", "Mönch", "Kauz"])
    h = handle(rng)
    r = rng.random()
    if r < 0.4:
        return h + digits(rng)
    if r < 0.45:
        return h + "-" + made_up_handle(rng)
    return h


def clean_name(name):
    name = unicodedata.normalize("NFC", " ".join(name.split()))
    return cap(name)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def weighted_order(rng, items, weights):
    """Weighted random order without replacement (Efraimidis-Spirakis)."""
    keyed = []
    for it in items:
        w = weights[it]
        if w <= 0:
            continue
        keyed.append((math.log(1.0 - rng.random()) / w, it))  # larger key = earlier
    keyed.sort(key=lambda kv: kv[0], reverse=True)
    return [it for _, it in keyed]


def pick(rng, items, weights):
    return rng.choices(items, weights=[weights[i] for i in items], k=1)[0]


def read_farm(path):
    wikis = []
    with open(path, encoding="utf-8") as f:
        header = None
        for line in f:
            line = line.rstrip("\n").rstrip("\r")
            if not line:
                continue
            if line.startswith("#"):
                header = line.lstrip("#").strip().split("\t")
                continue
            cols = dict(zip(header, line.split("\t")))
            group = cols.get("deployment_group", cols.get("group"))
            wikis.append({"dbname": cols["dbname"], "host": cols["host"], "group": group,
                          "status": cols["status"]})
    return wikis


def write_tsv(name, columns, rows):
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("# " + "\t".join(columns) + "\n")
        for row in rows:
            cells = [str(c) for c in row]
            for c in cells:
                assert "\t" not in c and "\n" not in c and "\r" not in c, (name, row)
            f.write("\t".join(cells) + "\n")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--farm", help="farm list (dbname, host, deployment_group, status)")
    args = ap.parse_args()
    farm = args.farm or os.path.join(HERE, "wikis.tsv")
    wikis = read_farm(farm)

    rng = random.Random(SEED)

    # ---- wikis.tsv
    for w in wikis:
        assert w["group"] in ("group0", "group1", "group2"), w
        assert w["status"] in ("open", "closed", "private"), w
        w["family"], w["lang"] = family_and_lang(w["dbname"], w["host"])
    by_db = {w["dbname"]: w for w in wikis}
    assert len(by_db) == len(wikis), "duplicate dbname in farm list"
    for db in ("loginwiki", "metawiki", "commonswiki", "wikidatawiki", "enwiki"):
        assert by_db[db]["status"] == "open", db
    weights = compute_weights(wikis, random.Random(SEED + 1))
    write_tsv("wikis.tsv", ["dbname", "host", "group", "status", "weight"],
              [(w["dbname"], w["host"], w["group"], w["status"], weights[w["dbname"]])
               for w in wikis])

    open_wikis = [w["dbname"] for w in wikis if w["status"] == "open"]
    lang_wikis = {}
    for db in open_wikis:
        lang = by_db[db]["lang"]
        if lang is not None:
            lang_wikis.setdefault(lang, []).append(db)
    home_candidates = [db for db in open_wikis if db != "loginwiki"]
    wikipedias = [db for db in open_wikis
                  if by_db[db]["family"] == "wikipedia" and by_db[db]["lang"]]
    always = ["loginwiki", "metawiki"]

    # ---- users.tsv
    users = []          # (name, home, attached list)
    seen = set(RESERVED_NAMES)
    for name in SANDBOX_USERS:
        attached = ["enwiki"] + [db for db in open_wikis if db != "enwiki"]
        users.append((name, "enwiki", attached))
    while len(users) < USER_COUNT:
        home = pick(rng, home_candidates, weights)
        lang = by_db[home]["lang"] or by_db[pick(rng, wikipedias, weights)]["lang"]
        name = clean_name(make_name(rng, lang))
        key = name.casefold()
        if key in seen or len(name) > 60 or "@" in name or not name:
            continue
        seen.add(key)

        attached = [home] + [db for db in always if db != home]
        for db, p in (("commonswiki", 0.85), ("wikidatawiki", 0.78)):
            if rng.random() < p and db not in attached:
                attached.append(db)
        r = rng.random()
        if r < 0.0025:
            extra = rng.randint(300, 720)
        elif r < 0.0825:
            extra = int(round(math.exp(rng.uniform(math.log(20), math.log(100)))))
        elif r < 0.19:
            extra = rng.randint(6, 19)
        else:
            extra = rng.choices([1, 2, 3, 4, 5], weights=[34, 25, 18, 13, 10])[0]
        chosen = []
        taken = set(attached)
        same = iter(weighted_order(rng, lang_wikis.get(lang, []), weights))
        anywhere = iter(weighted_order(rng, open_wikis, weights))
        while len(chosen) < extra:
            db = None
            if rng.random() < 0.6:
                db = next((d for d in same if d not in taken), None)
            if db is None:
                db = next((d for d in anywhere if d not in taken), None)
            if db is None:
                break
            taken.add(db)
            chosen.append(db)
        attached += sorted(chosen)
        users.append((name, home, attached))
    write_tsv("users.tsv", ["name", "homeWiki", "attached"],
              [(n, h, ",".join(a)) for n, h, a in users])

    ordinary = [u for u in users if u[0] not in SANDBOX_USERS]
    activity = {u[0]: len(u[2]) for u in ordinary}
    names_list = [u[0] for u in ordinary]

    # ---- oauth-consumers.tsv
    consumers = [
        ("Widar", "basic,highvolume,editpage,createeditmovepage",
         "Wikidata editing on behalf of other tools (Reasonator, Mix'n'match and friends)"),
        ("QuickStatements", "basic,highvolume,editpage,createeditmovepage",
         "Batch edits to Wikidata items from simple text commands or CSV"),
        ("PAWS", "basic,highvolume,editpage,createeditmovepage,uploadfile,uploadeditmovefile,"
                 "patrol,rollback,editmyoptions",
         "Jupyter notebooks hosted on Toolforge, with pywikibot logged in as you"),
        ("Huggle", "basic,highvolume,editpage,patrol,rollback,blockusers",
         "Fast diff browser for fighting vandalism across wikis"),
        ("Twinkle Global", "basic,editpage,editprotected,createeditmovepage,patrol,rollback,"
                           "blockusers,sendemail",
         "Cross-wiki maintenance helper: tagging, warnings, reports, deletion nominations"),
        ("Cat-a-lot", "basic,highvolume,editpage",
         "Move, copy and remove categories of many files and pages at once"),
        ("Mix'n'match", "basic,highvolume,editpage,createeditmovepage",
         "Match entries of external catalogues to Wikidata items"),
        ("OpenRefine", "basic,highvolume,editpage,createeditmovepage,uploadfile,"
                       "uploadeditmovefile",
         "Reconcile tabular data with Wikidata and upload it, and media to Commons"),
        ("PetScan", "basic,highvolume,editpage,createeditmovepage",
         "Build page lists from categories, templates and Wikidata, then act on them"),
        ("Citation bot", "basic,highvolume,editpage",
         "Completes and formats citations on pages you ask it to check"),
        ("Commons Upload Wizard Pro", "basic,editpage,uploadfile,uploadeditmovefile",
         "Bulk uploads to Wikimedia Commons with templates and structured data"),
        ("VideoCutTool", "basic,editpage,uploadfile,uploadeditmovefile",
         "Trim, crop and rotate videos on Commons and upload the result"),
        ("Wiki Loves Monuments tool", "basic,editpage,uploadfile,sendemail",
         "Contest uploads, monument lists and jury notifications for Wiki Loves Monuments"),
        (SANDBOX_CONSUMER, "basic,editpage",
         "Demo consumer of the sandbox farm; used by the tests and the sandbox users only"),
    ]
    for c in consumers:
        assert all(g in GRANTS for g in c[1].split(",")) and c[1].startswith("basic"), c
    write_tsv("oauth-consumers.tsv", ["name", "grants", "description"], consumers)
    consumer_grants = {c[0]: c[1].split(",") for c in consumers}

    # ---- oauth-grants.tsv
    popularity = {"Widar": 14, "QuickStatements": 16, "PAWS": 8, "Huggle": 10,
                  "Twinkle Global": 9, "Cat-a-lot": 12, "Mix'n'match": 8, "OpenRefine": 6,
                  "PetScan": 11, "Citation bot": 9, "Commons Upload Wizard Pro": 5,
                  "VideoCutTool": 3, "Wiki Loves Monuments tool": 4}
    grant_rows = [(n, SANDBOX_CONSUMER, "basic,editpage") for n in SANDBOX_USERS]
    pairs = set()
    cons_names = list(popularity)
    user_w = [math.sqrt(activity[n]) for n in names_list]
    while len(grant_rows) < OAUTH_GRANT_COUNT:
        user = rng.choices(names_list, weights=user_w)[0]
        cons = pick(rng, cons_names, popularity)
        if (user, cons) in pairs:
            continue
        pairs.add((user, cons))
        full = consumer_grants[cons]
        if rng.random() < 0.6:
            gr = full
        else:
            gr = ["basic"] + [g for g in full[1:] if rng.random() < 0.55]
        grant_rows.append((user, cons, ",".join(gr)))
    write_tsv("oauth-grants.tsv", ["user", "consumer", "grants"], grant_rows)

    # ---- bot-passwords.tsv
    app_profiles = {
        "archivebot": "basic,highvolume,editpage,createeditmovepage",
        "interwiki": "basic,highvolume,editpage",
        "cleanup": "basic,editpage,createeditmovepage",
        "pywikibot": "basic,highvolume,editpage,createeditmovepage",
        "awb": "basic,highvolume,editpage,createeditmovepage",
        "huggle": "basic,editpage,patrol,rollback",
        "stats": "basic,highvolume",
        "rcpatrol": "basic,patrol,rollback",
        "citations": "basic,editpage",
        "dumps": "basic,highvolume",
        "commons_upload": "basic,uploadfile,uploadeditmovefile,editpage",
        "uploads": "basic,uploadfile,uploadeditmovefile",
        "categories": "basic,highvolume,editpage",
        "redirects": "basic,editpage,createeditmovepage",
        "disambig": "basic,editpage",
        "welcome": "basic,editpage,createeditmovepage",
        "linkfix": "basic,highvolume,editpage",
        "typo_fix": "basic,editpage",
        "maintenance": "basic,highvolume,editpage,createeditmovepage,editprotected",
        "wikidata_sync": "basic,highvolume,editpage,createeditmovepage",
        "infobox_sync": "basic,editpage",
        "reports": "basic,highvolume,editpage,createeditmovepage",
        "lint_fix": "basic,highvolume,editpage",
        "template_updater": "basic,editpage,editprotected",
        "backup": "basic,highvolume",
        "toolforge": "basic,highvolume,editpage",
        "cron": "basic,highvolume,editpage",
        "jupyter": "basic,editpage",
        "mobile": "basic,editpage,editmyoptions",
        "local_dev": "basic,editpage",
        "test": "basic",
        "newpages": "basic,patrol",
        "mass_message": "basic,highvolume,editpage,createeditmovepage",
        "deletion_sorter": "basic,editpage,viewdeleted",
        "blocklist": "basic,blockusers,viewdeleted",
        "css_deploy": "basic,editpage,editinterface,editprotected",
        "notifier": "basic,sendemail",
        "prefs_sync": "basic,editmyoptions",
    }
    app_names = list(app_profiles)
    bot_rows = [(n, SANDBOX_APP_ID, "basic,editpage,highvolume") for n in SANDBOX_USERS]
    is_bot = {n: n.lower().endswith("bot") for n in names_list}
    bp_w = [(25.0 if is_bot[n] else 1.0) * math.sqrt(activity[n]) for n in names_list]
    bp_users = []
    bp_seen = set()
    while len(bp_users) < 247:
        n = rng.choices(names_list, weights=bp_w)[0]
        if n not in bp_seen:
            bp_seen.add(n)
            bp_users.append(n)
    remaining = BOT_PASSWORD_COUNT - len(bot_rows)
    counts = [1] * len(bp_users)
    while sum(counts) < remaining:
        i = rng.randrange(len(bp_users))
        if counts[i] < 8:
            counts[i] += 1 if rng.random() < 0.7 or is_bot[bp_users[i]] else 0
    for n, c in zip(bp_users, counts):
        ids = []
        while len(ids) < c:
            base = rng.choice(app_names)
            r = rng.random()
            if r < 0.15:
                app = "%s_%d" % (base, rng.randint(2019, 2026))
            elif r < 0.22:
                app = "%s%d" % (base, rng.randint(2, 9))
            else:
                app = base
            if app in ids:
                continue
            ids.append(app)
            prof = app_profiles[base].split(",")
            if rng.random() < 0.2:
                prof = prof + [g for g in ("highvolume", "createeditmovepage", "patrol")
                               if g not in prof and rng.random() < 0.4]
            prof = [g for g in GRANTS if g in prof]
            bot_rows.append((n, app, ",".join(prof)))
    write_tsv("bot-passwords.tsv", ["user", "appId", "grants"], bot_rows)

    # ---- demo-credentials.json (secrets, kept across reruns)
    cred_path = os.path.join(HERE, "demo-credentials.json")
    old = {}
    if os.path.exists(cred_path):
        with open(cred_path, encoding="utf-8") as f:
            old = json.load(f)  # a broken file is an error, not a reason for new secrets
    old_keys = old.get("wikiKeys", {})
    old_staff = {s.get("name"): s for s in old.get("staff", [])}
    wiki_keys = {}
    for w in wikis:
        k = old_keys.get(w["dbname"])
        wiki_keys[w["dbname"]] = k if k else secrets.token_hex(32)
    staff = []
    for role in STAFF_ROLES:
        o = old_staff.get(role, {})
        staff.append({
            "name": role,
            "password": o.get("password") or role + "-" + secrets.token_urlsafe(9),
            "role": role,
            "token": o.get("token") or secrets.token_hex(32),
        })
    creds = {"wikiKeys": wiki_keys, "staff": staff, "sandboxUsers": list(SANDBOX_USERS)}
    tmp = cred_path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        json.dump(creds, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, cred_path)

    # ---- self-checks
    open_set = set(open_wikis)
    assert len(users) == USER_COUNT and len({u[0].casefold() for u in users}) == USER_COUNT
    for n, h, a in users:
        assert h in open_set and a[0] == h and len(set(a)) == len(a), n
        assert all(db in open_set for db in a), n
        assert "loginwiki" in a and "metawiki" in a, n
        assert 0 < len(n) <= 60 and "@" not in n and "\t" not in n, n
    user_names = {u[0] for u in users}
    for rows in (grant_rows, bot_rows):
        assert all(r[0] in user_names for r in rows)
    assert len({(r[0], r[1]) for r in grant_rows}) == len(grant_rows)
    assert len({(r[0], r[1]) for r in bot_rows}) == len(bot_rows)
    for u, c, g in grant_rows:
        assert g.startswith("basic") and set(g.split(",")) <= set(consumer_grants[c])
        assert (u in SANDBOX_USERS) == (c == SANDBOX_CONSUMER)
    for u, app, g in bot_rows:
        assert len(app) <= 32 and all(ch in "abcdefghijklmnopqrstuvwxyz0123456789_" for ch in app)
        assert (u in SANDBOX_USERS) == (app == SANDBOX_APP_ID)
    print("wrote %d wikis, %d users, %d consumers, %d oauth grants, %d bot passwords "
          "(%d users) to %s" % (len(wikis), len(users), len(consumers), len(grant_rows),
                                len(bot_rows), len({r[0] for r in bot_rows}), HERE))


if __name__ == "__main__":
    sys.exit(main())
