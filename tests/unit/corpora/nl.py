"""Nederlandse voorbeeldzinnen met label: True = oprecht, False = onecht, defensief of verwijtend.

Geschreven zoals een Nederlandse klantenservice schrijft (met "u"), niet vertaald uit het Engels;
hierop worden precision en recall van de linter gemeten. Bij de oprechte zinnen staan ook zinnen die
de bezorger of het beleid eerlijk noemen, of na de excuses vragen iets te controleren, zodat valse
meldingen opvallen.
"""

SINCERE = [
    "Sorry dat uw pakket twee dagen te laat was; dat ligt echt aan ons.",
    "Het spijt me dat we u twee keer hebben laten betalen. Ik heb de tweede betaling al teruggeboekt.",
    "Sorry, mevrouw De Vries, de afrekenpagina liep bij u vast en dat hoort niet. We lossen het vandaag nog op.",
    "Excuses voor de verkeerde maat in uw doos: ik heb de bestelling verwisseld en stuur u vandaag de juiste.",
    "Het spijt ons dat de pagina maar bleef laden. Het lag aan onze server, en ons team is ermee bezig.",
    "Sorry dat u veertig minuten in de wacht stond. We hadden te weinig mensen ingeroosterd, en dat moeten wij oplossen.",
    "Het spijt me dat er een toeslag op uw factuur stond waar u nooit mee hebt ingestemd. Ik heb hem verwijderd.",
    "Dank u dat u het meldt, en sorry dat de mok kapot aankwam. We hebben hem slecht ingepakt.",
    "Het spijt me echt dat niemand op uw eerste bericht heeft gereageerd. Vanaf nu handel ik het zelf af.",
    "Mijn excuses, we hebben de afgesproken leverdatum niet gehaald. Onze chauffeur komt morgen als eerste bij u langs.",
    "Sorry dat de app u midden in uw bestelling uitlogde. Dat was een fout aan onze kant en we brengen vandaag een update uit.",
    "Mijn excuses, meneer Jansen: we hebben de factuur naar het verkeerde adres gestuurd. Ik heb het aangepast.",
    "Sorry dat de kortingscode niet werkte. Ik heb de korting handmatig verwerkt. Wilt u even controleren of het nieuwe bedrag klopt?",
    "Het spijt me dat uw modem eruit ligt. Misschien helpt het om hem even opnieuw op te starten, terwijl ik een monteur naar u toe stuur.",
    "Sorry dat de bezorger onvriendelijk tegen u was. Wij hebben die vervoerder gekozen, dus het is aan ons om dit op te lossen, en dat heb ik gedaan.",
    "Onze excuses dat het zaterdag zo lang duurde bij de kassa. We hadden te weinig mensen ingepland en dat doen we volgende week anders.",
    "Het spijt me dat ons retourbeleid zo onduidelijk op de website stond. Ik laat de tekst deze week herschrijven.",
    "Sorry dat uw terugbetaling er nog niet is. Ik ben erachteraan gegaan en vrijdag staat het geld op uw rekening.",
    "Het spijt me dat u alles twee keer moest uitleggen. Ik heb alles gelezen en neem het vanaf hier over.",
    "Sorry dat de update uw instellingen heeft gewist. We hadden hem beter moeten testen; ik heb ze teruggezet.",
    "Het spijt me dat we uw naam verkeerd hebben gespeld. Ik heb het in ons systeem aangepast.",
    "Excuses dat ons antwoord drie dagen op zich liet wachten; we hadden binnen een paar uur moeten reageren.",
    "Sorry dat de oplader niet in het pakket zat. Ik stuur hem vandaag nog na.",
    "Het spijt me dat u in de verkeerde valuta hebt betaald. Volgens onze gegevens stond de winkel verkeerd ingesteld; dat heb ik rechtgezet.",
    "Wat vervelend, en het spijt me echt: onze monteur had om tien uur bij u moeten zijn. Ik bel u vandaag om een nieuwe afspraak te maken.",
    "Het spijt ons dat uw pakket in de regen is neergezet. We vergoeden alles wat nat is geworden.",
    "Excuses, het formulier is kwijtgeraakt wat u had ingevuld. Dat is een fout aan onze kant en we lossen het op.",
    "Sorry, dat was mijn fout: ik had uw reservering op de verkeerde dag gezet. Het is nu aangepast.",
    "Het spijt me dat we u aan de balie zo lang hebben laten wachten. Zo willen we niet met u omgaan.",
    "Sorry voor de verwarring rond uw boeking; de fout lag bij ons en ik heb u opnieuw ingeboekt.",
    "Het spijt me dat de bezorging niet lukte. Zou u het adres in uw account nog eens willen bekijken? Ik vermoed dat er bij ons nog een oud adres is opgeslagen.",
    "Sorry dat de levering via onze vervoerder zo lang duurde. Wij hebben die partner gekozen, dus het is onze verantwoordelijkheid; ik zoek het met hen uit.",
]

INSINCERE = [
    "Excuses voor het eventuele ongemak.",
    "Wij betreuren het ongemak dat dit voor u heeft veroorzaakt.",
    "Gelieve onze welgemeende excuses te aanvaarden voor de vertraging.",
    "Als het klopt wat u schrijft, zullen we het uitzoeken.",
    "Het spijt ons als u zich hieraan heeft gestoord.",
    "Het spijt ons dat u dit zo heeft ervaren.",
    "Wat vervelend om te horen. Dit verbaast ons, want dit komt bij ons eigenlijk nooit voor.",
    "Onze excuses voor het ongemak.",
    "Tot onze spijt moeten wij u mededelen dat uw bestelling vertraagd is.",
    "Helaas is er een vertraging opgetreden bij de verwerking van uw bestelling.",
    "Er zijn fouten gemaakt bij de verwerking van uw bestelling.",
    "Volgens onze algemene voorwaarden is retourneren na 14 dagen niet mogelijk.",
    "Zoals eerder aangegeven is de aanbieding verlopen.",
    "Zoals al vermeld in onze mail bedraagt de levertijd vijf tot zeven werkdagen.",
    "Conform onze voorwaarden zijn wij niet aansprakelijk voor vertraging door de vervoerder.",
    "U had binnen 24 uur contact met ons moeten opnemen.",
    "U vergist zich, de prijs stond duidelijk vermeld.",
    "U heeft de handleiding waarschijnlijk verkeerd begrepen.",
    "Dat klopt niet: volgens de track & trace is het pakket bezorgd.",
    "Er is van onze kant geen fout gemaakt.",
    "Dit is niet onze schuld; de bank heeft de betaling geweigerd.",
    "Helaas ligt dit buiten onze macht.",
    "De pakketdienst is verantwoordelijk voor te late leveringen.",
    "De vertraging lag aan het magazijn, niet aan ons.",
    "Daar kunnen wij helaas niets aan doen.",
    "Heeft u de router al opnieuw opgestart? Sorry voor de overlast.",
    "Heeft u al in uw spamfolder gekeken? Onze excuses.",
    "Zorg ervoor dat u het juiste adres invult. Sorry daarvoor.",
    "U moet eerst de cache van uw browser legen. Sorry.",
    "Bedankt voor uw bericht. Uw melding is doorgestuurd naar de betreffende afdeling en wordt zo spoedig mogelijk in behandeling genomen.",
    "De bestelling is op tijd verzonden en volgens de track & trace is die bezorgd.",
    "Excuses als er sprake was van een misverstand.",
    "De andere afdeling was verantwoordelijk voor deze fout in de factuur, sorry.",
    "Het spijt ons dat u vindt dat het bedrag niet klopte, maar het was correct.",
    "Wij vragen om uw begrip.",
    "Het spijt me te horen dat uw ervaring niet goed was.",
    "Sorry, maar ons systeem laat zien dat het pakket maandag is bezorgd.",
    "Excuses, maar dit is de normale procedure.",
    "Het spijt me, maar u bent bij het bestellen met deze voorwaarden akkoord gegaan.",
    "Sorry voor het wachten. Volgens onze gegevens heeft u de verkeerde postcode ingevuld.",
]

# Geschreven na de eerste versie van het lexicon: een kleine toets of het generaliseert.
HELD_OUT_SINCERE = [
    "Eerlijk gezegd: het spijt me, dit is helemaal onze fout.",
    "Sorry! We hebben u de bestelling van iemand anders gestuurd; de juiste is onderweg.",
    "Het spijt me dat u ons achterna moest zitten. Ik bel u voor twaalf uur terug.",
    "Neem me niet kwalijk, de fout in uw factuur komt door mij. De correctie is al onderweg.",
]

CORPUS = [(text, True) for text in SINCERE + HELD_OUT_SINCERE] + [(text, False) for text in INSINCERE]
