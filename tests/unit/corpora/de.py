"""Deutsche Beispielsätze mit Label: True = aufrichtig, False = unecht, defensiv oder schuldzuweisend.

Geschrieben wie im deutschen Kundenservice (Anrede mit „Sie“), nicht aus dem Englischen übersetzt;
an ihnen werden Precision und Recall des Linters gemessen. Die aufrichtigen Sätze enthalten auch
solche, die den Paketdienst oder eine Richtlinie ehrlich erwähnen oder nach der Entschuldigung um
eine Prüfung bitten, damit Fehlalarme auffallen.
"""

SINCERE = [
    "Es tut mir leid, dass Ihr Paket zwei Tage zu spät kam – das geht auf unsere Kappe.",
    "Entschuldigen Sie bitte, wir haben Ihnen den Betrag doppelt abgebucht. Ich habe die zweite Abbuchung schon storniert.",
    "Sorry, Frau Keller, der Checkout ist bei Ihnen hängen geblieben, und das darf nicht passieren. Wir beheben das noch heute.",
    "Es tut mir leid, dass die Schuhe in der falschen Größe kamen. Ich habe die Bestellung verwechselt und schicke Ihnen heute das richtige Paar.",
    "Es tut uns leid, dass die Seite ständig geladen hat. Das lag an unserem Server, und unser Team ist dran.",
    "Es tut mir leid, dass Sie 40 Minuten in der Warteschleife hingen. Wir waren zu dünn besetzt, und das müssen wir ändern.",
    "Entschuldigung, auf Ihrer Rechnung stand eine Gebühr, der Sie nie zugestimmt haben. Ich habe sie gestrichen.",
    "Danke für Ihre Nachricht, und es tut mir leid, dass die Tasse zerbrochen ankam. Wir haben sie schlecht verpackt.",
    "Es tut mir wirklich leid, dass niemand auf Ihre erste Nachricht geantwortet hat. Ab jetzt kümmere ich mich persönlich darum.",
    "Ich bitte Sie um Entschuldigung: Wir haben den Liefertermin nicht gehalten. Unser Fahrer kommt morgen als Erstes zu Ihnen.",
    "Es tut mir leid, dass die App Sie mitten in der Bestellung abgemeldet hat. Das war ein Fehler bei uns, und wir spielen gerade ein Update ein.",
    "Verzeihen Sie, Herr Brandt, wir haben die Rechnung an die falsche Adresse geschickt. Ich habe sie korrigiert.",
    "Es tut mir leid, dass der Gutschein nicht funktioniert hat. Ich habe ihn von Hand eingelöst. Könnten Sie kurz prüfen, ob der neue Betrag jetzt stimmt?",
    "Es tut mir leid, dass Ihr Router ausgefallen ist. Vielleicht hilft ein Neustart, bis unser Techniker bei Ihnen ist.",
    "Es tut mir leid, dass der Paketdienst unfreundlich zu Ihnen war. Wir haben ihn ausgewählt, also ist es unsere Sache, das zu klären – und das habe ich getan.",
    "Entschuldigung, dass es an der Kasse so lange gedauert hat. Wir hatten am Samstag zu wenige Leute eingeteilt, und das ändern wir.",
    "Es tut mir leid, dass unsere Rückgaberichtlinie auf der Website so missverständlich formuliert war. Ich lasse den Text diese Woche umschreiben.",
    "Es tut mir leid, dass die Erstattung noch nicht bei Ihnen ist. Ich habe nachgehakt, bis Freitag ist das Geld auf Ihrem Konto.",
    "Tut mir leid, dass Sie das zweimal erklären mussten. Ich habe alles gelesen und übernehme ab hier.",
    "Es tut mir leid, dass das Update Ihre Einstellungen gelöscht hat. Wir hätten es gründlicher testen müssen; ich habe sie wiederhergestellt.",
    "Es tut mir leid, dass wir Ihren Namen falsch geschrieben haben. Ich habe das in unseren Daten korrigiert.",
    "Entschuldigen Sie, dass Sie drei Tage auf unsere Antwort warten mussten – wir hätten uns innerhalb von Stunden melden müssen.",
    "Es tut mir leid, dass das Ladekabel im Paket gefehlt hat. Ich schicke es Ihnen heute noch.",
    "Es tut mir leid, dass Ihnen der Betrag in Euro statt in Franken berechnet wurde. Laut unseren Unterlagen war im Shop die falsche Währung eingestellt; das habe ich korrigiert.",
    "Das tut mir leid, Herr Yilmaz – unser Techniker hätte pünktlich bei Ihnen sein müssen. Ich rufe Sie heute an und vereinbare einen neuen Termin.",
    "Es tut uns leid, dass Ihr Paket im Regen abgestellt wurde. Wir ersetzen alles, was nass geworden ist.",
    "Bitte entschuldigen Sie, das Formular hat Ihre Eingaben verloren. Das ist ein Fehler auf unserer Seite, und wir beheben ihn.",
    "Entschuldigung, das war mein Fehler: Ich habe Ihre Reservierung auf den falschen Tag gelegt. Sie ist jetzt korrigiert.",
    "Es tut mir leid, dass wir Sie an der Theke so lange haben warten lassen. So wollen wir nicht mit Ihnen umgehen.",
    "Sorry für das Durcheinander mit Ihrer Buchung – der Fehler lag bei uns, und ich habe Sie neu eingebucht.",
    "Es tut mir leid, die Zustellung hat nicht geklappt. Dürfte ich Sie bitten, die Adresse in Ihrem Konto noch einmal anzusehen? Ich vermute, dass bei uns noch eine alte gespeichert ist.",
    "Es tut mir leid, dass die Lieferung über unseren Versandpartner so lange gedauert hat. Wir haben den Partner ausgesucht, also liegt das in unserer Verantwortung; ich kläre es mit ihm.",
]

INSINCERE = [
    "Bitte entschuldigen Sie etwaige Unannehmlichkeiten.",
    "Wir bedauern etwaige Unannehmlichkeiten, die Ihnen dadurch entstanden sind.",
    "Bitte nehmen Sie unsere aufrichtige Entschuldigung für die Verzögerung an.",
    "Falls das stimmt, was Sie schreiben, werden wir der Sache nachgehen.",
    "Es tut uns leid, falls Sie sich geärgert haben.",
    "Es tut mir leid, dass Sie mit unserem Service unzufrieden sind.",
    "Es tut uns leid, das zu hören. Wir sind überrascht, denn so etwas kommt bei uns eigentlich nie vor.",
    "Wir entschuldigen uns für die entstandenen Unannehmlichkeiten.",
    "Wir bedauern, Ihnen mitteilen zu müssen, dass sich Ihre Bestellung verzögert.",
    "Leider kam es bei der Bearbeitung Ihrer Bestellung zu einer Verzögerung.",
    "Entschuldigung, da sind wohl Fehler passiert.",
    "Laut unseren AGB ist eine Rückgabe nach 14 Tagen ausgeschlossen.",
    "Wie bereits erwähnt, ist das Angebot abgelaufen.",
    "Wie Ihnen schon mitgeteilt wurde, beträgt die Lieferzeit fünf bis sieben Werktage.",
    "Gemäß unseren Geschäftsbedingungen haften wir nicht für Verzögerungen beim Versand.",
    "Sie hätten sich innerhalb von 24 Stunden bei uns melden müssen.",
    "Da irren Sie sich, der Preis war deutlich angegeben.",
    "Sie haben die Anleitung offenbar falsch verstanden.",
    "Das ist nicht korrekt: Laut Sendungsverfolgung wurde das Paket zugestellt.",
    "Auf unserer Seite liegt kein Fehler vor.",
    "Das ist nicht unsere Schuld, die Bank hat die Zahlung abgelehnt.",
    "Darauf haben wir leider keinen Einfluss.",
    "Für verspätete Lieferungen ist der Paketdienst verantwortlich.",
    "Die Verzögerung lag am Lager, nicht an uns.",
    "Da können wir leider nichts machen.",
    "Haben Sie den Router schon neu gestartet? Entschuldigung für die Umstände.",
    "Haben Sie schon in Ihrem Spam-Ordner nachgesehen? Wir entschuldigen uns.",
    "Bitte stellen Sie sicher, dass Sie die richtige Adresse eingegeben haben. Tut mir leid.",
    "Sie müssen zuerst Ihren Browser-Cache leeren. Sorry.",
    "Vielen Dank für Ihre Nachricht. Ihr Anliegen wurde an die zuständige Abteilung weitergeleitet und wird schnellstmöglich bearbeitet.",
    "Die Bestellung wurde pünktlich versandt, und laut Sendungsverfolgung wurde sie zugestellt.",
    "Entschuldigung, falls es zu Missverständnissen gekommen ist.",
    "Die andere Abteilung war für diesen Abrechnungsfehler verantwortlich, sorry.",
    "Es tut uns leid, dass Sie die Abbuchung für falsch halten, aber sie war korrekt.",
    "Wir bitten um Ihr Verständnis.",
    "Wir bitten, die Verzögerung zu entschuldigen.",
    "Tut mir leid, aber unser System zeigt, dass das Paket am Montag zugestellt wurde.",
    "Wir entschuldigen uns, allerdings ist das ein ganz normaler Ablauf.",
    "Es tut mir leid, aber Sie haben diesen Bedingungen beim Bestellen zugestimmt.",
    "Entschuldigen Sie die Wartezeit. Laut unseren Unterlagen haben Sie die falsche Postleitzahl eingegeben.",
]

# Nach dem ersten Lauf des Lexikons geschrieben: eine kleine Probe, ob es verallgemeinert.
HELD_OUT_SINCERE = [
    "Ehrlich gesagt: Das tut mir leid, das war ganz allein unser Fehler.",
    "Entschuldigung! Wir haben Ihnen die Bestellung einer anderen Person geschickt; die richtige ist unterwegs.",
    "Es tut mir leid, dass Sie uns hinterherlaufen mussten. Ich rufe Sie vor zwölf Uhr zurück.",
    "Verzeihung, der Fehler in Ihrer Rechnung geht auf mich. Die Korrektur ist schon unterwegs.",
]
CORPUS = [(text, True) for text in SINCERE + HELD_OUT_SINCERE] + [(text, False) for text in INSINCERE]
