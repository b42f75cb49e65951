"""Frasi di scuse etichettate in italiano: True = sincera, False = falsa, difensiva o colpevolizzante.

Scritte per i test di Mend come le scrive un servizio clienti italiano (si dà del lei, a volte
senza accenti: «e'», «perche'»), non tradotte dall'inglese; su di esse si misurano la precisione
e il richiamo del linter.
"""

SINCERE = [
    "Mi scuso per il ritardo del suo pacco: è colpa nostra, non sua.",
    "Mi dispiace davvero, le abbiamo addebitato l'importo due volte. Ho già annullato il secondo pagamento.",
    "Scusi, Giulia, il pagamento si è bloccato proprio mentre concludeva l'ordine, e non sarebbe dovuto succedere. Lo sistemiamo oggi stesso.",
    "Le chiedo scusa per la taglia sbagliata: ho confuso due ordini e le spedisco quella giusta stasera.",
    "Ci dispiace che la pagina continuasse a caricare senza fine. Il problema era sul nostro server e il nostro team ci sta lavorando.",
    "Mi scuso per i quaranta minuti di attesa al telefono. Quel giorno non avevamo abbastanza personale, e tocca a noi rimediare.",
    "Mi dispiace: in fattura c'erano dei costi che lei non aveva mai accettato. Li ho tolti.",
    "Grazie per avercelo segnalato, e scusi per la tazza arrivata rotta. L'avevamo imballata male.",
    "Mi dispiace molto che nessuno abbia risposto al suo primo messaggio. Da adesso me ne occupo io personalmente.",
    "Chiedo scusa per l'appuntamento saltato. La chiamo io per fissare un nuovo orario.",
    "Mi scuso, il codice sconto non è stato applicato. L'ho aggiunto a mano: potrebbe gentilmente controllare il nuovo totale?",
    "Mi dispiace che il modem abbia smesso di funzionare. Mentre le mando un tecnico, forse un riavvio può aiutarla a tornare online.",
    "Ci scusiamo per le istruzioni poco chiare: le abbiamo scritte male e le stiamo riscrivendo questa settimana.",
    "Mi scuso: il corriere ha lasciato il suo pacco sotto la pioggia. L'abbiamo scelto noi, quindi tocca a noi rimediare, e le rispedisco gli articoli rovinati.",
    "Mi scuso per averle risposto dopo tre giorni; avremmo dovuto farlo in giornata.",
    "Mi dispiace, il rimborso non le è ancora arrivato. Ho sollecitato l'amministrazione e lo riceverà entro venerdì.",
    "Chiedo scusa, il nostro sito mostrava l'articolo disponibile quando non lo era più. L'errore e' nostro.",
    "Mi dispiace averle fatto spiegare tutto due volte. Ho riletto ogni cosa e da qui in poi la seguo io.",
    "Le chiedo scusa: l'email per reimpostare la password non è mai partita perché il nostro server di posta era fermo. Ora funziona e gliel’ho rimandata.",
    "Ci dispiace di aver sbagliato a scrivere il suo nome sull'ordine. L'ho corretto nei nostri archivi.",
    "Mi scuso: la nostra politica di reso avrebbe dovuto coprire il suo caso fin dall'inizio. Ho già avviato il rimborso.",
    "Mi dispiace, il modulo ha cancellato tutto quello che aveva scritto. E' un difetto della nostra pagina e lo stiamo correggendo.",
    "Ci scusi per la lunga coda di sabato: non avevamo aperto abbastanza casse, e la prossima settimana lo faremo.",
    "Mi dispiace, l'aggiornamento ha cancellato le sue impostazioni. Avremmo dovuto testarlo meglio; le ho ripristinate. Può verificare che sia tutto a posto?",
    "Mi scuso, la sua carta è stata rifiutata per colpa del nostro POS, che era guasto. L'abbiamo già sostituito.",
    "Mi scusi tanto, il suo ordine è partito senza il caricabatterie. Glielo spedisco oggi stesso.",
    "Ci scusiamo per il doppio addebito. Dai nostri dati risulta che è stato il nostro terminale a inviare la transazione due volte; le ho rimborsato tutto stamattina.",
]

INSINCERE = [
    "La preghiamo di accettare le nostre scuse per il ritardo.",
    "Voglia gradire le nostre più sentite scuse per il disagio arrecato.",
    "Se quanto da lei dichiarato risulta corretto, valuteremo la sua richiesta.",
    "Ci dispiace apprendere quanto accaduto; siamo sorpresi, perché da noi non succede mai.",
    "Siamo spiacenti di sapere che la sua esperienza non è stata soddisfacente.",
    "Ci scusiamo se il nostro servizio non è stato all'altezza delle sue aspettative.",
    "Mi dispiace che lei la pensi così.",
    "Ci scusiamo per l'eventuale disagio arrecato.",
    "Ci scusiamo per il disagio.",
    "Ci scusiamo per qualsiasi inconveniente.",
    "Siamo spiacenti di informarla che il suo ordine è in ritardo.",
    "Sono stati commessi degli errori nell'elaborazione del suo ordine.",
    "Secondo la nostra politica aziendale, non sono previsti rimborsi dopo 14 giorni.",
    "Come già indicato nella nostra precedente email, l'offerta è scaduta.",
    "Come le abbiamo già spiegato, la consegna richiede dai cinque ai sette giorni lavorativi.",
    "In base alle condizioni generali di vendita, non rispondiamo dei ritardi di consegna.",
    "Avrebbe dovuto contattarci entro 24 ore.",
    "Lei si sbaglia: il prezzo era indicato chiaramente.",
    "Deve aver frainteso le istruzioni.",
    "Questo non è vero: dai nostri sistemi risulta che il pacco è stato consegnato.",
    "Da parte nostra non c'è stato alcun errore.",
    "Non è colpa nostra: è stata la sua banca a rifiutare il pagamento.",
    "Purtroppo la cosa non dipende da noi.",
    "Il corriere è l'unico responsabile dei ritardi di consegna.",
    "Il ritardo è dovuto al magazzino, non a noi.",
    "Purtroppo non possiamo fare nulla.",
    "Ha provato a riavviare il modem? Ci scusiamo per il fastidio.",
    "Ha controllato nella cartella spam? Ci scusiamo.",
    "Si assicuri di aver inserito l'indirizzo corretto. Ci dispiace per l'accaduto.",
    "Deve svuotare la cache del browser prima di usare il sito. Mi scuso.",
    "Gentile cliente, la sua richiesta è stata presa in carico e sarà gestita al più presto dall'ufficio competente.",
    "L'ordine è stato spedito nei tempi previsti e dal tracciamento risulta consegnato.",
    "Ci scusiamo nel caso in cui ciò abbia generato confusione.",
    "L'errore di fatturazione è stato causato dall'ufficio amministrativo, ci scusiamo.",
    "Ci dispiace che lei ritenga l'addebito sbagliato, ma era corretto.",
]

# Scritte con il resto del corpus ma tenute da parte: il lessico non è stato ritoccato su di esse.
HELD_OUT_SINCERE = [
    "Sinceramente, mi dispiace: l'errore è tutto nostro.",
    "Mi scusi. Sarà risolto entro stasera, ci penso io.",
    "Chiedo scusa! Le abbiamo mandato l'ordine di un'altra persona; il suo è già in viaggio.",
    "Mi dispiace che abbia dovuto sollecitarci. La richiamo entro mezzogiorno.",
]
HELD_OUT_INSINCERE = [
    "Mi dispiace, ma dal nostro sistema risulta che il pacco è stato consegnato lunedì.",
    "Ci scusiamo, tuttavia si tratta della procedura standard.",
    "Mi dispiace, pero' ha accettato queste condizioni al momento dell'ordine.",
    "Scusi per l'attesa. Dai nostri dati risulta che ha inserito il CAP sbagliato.",
]

CORPUS = [(text, True) for text in SINCERE + HELD_OUT_SINCERE] + [
    (text, False) for text in INSINCERE + HELD_OUT_INSINCERE
]
