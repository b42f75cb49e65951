"""Phrases d'excuses étiquetées en français : True = sincère, False = fausse, défensive ou accusatrice.

Écrites pour les tests de Mend comme les écrit un service client francophone (vouvoiement, accents
parfois oubliés, espaces ordinaires avant « : »), pas traduites de l'anglais ; la précision et le
rappel du linter sont mesurés sur elles.
"""

SINCERE = [
    "Toutes mes excuses pour le retard de votre colis : c'est de notre faute, pas la vôtre.",
    "Je suis vraiment désolée, nous vous avons débité deux fois. J'ai déjà annulé le second prélèvement.",
    "Pardon, Camille, le paiement a planté au moment de valider votre panier ; ça n'aurait jamais dû arriver. Nous corrigeons le problème aujourd'hui.",
    "Je m'excuse pour la mauvaise taille dans votre colis : j'ai confondu deux commandes et je vous envoie la bonne dès ce soir.",
    "Nous sommes désolés que la page ait tourné dans le vide. Le problème venait de notre serveur, et notre équipe s'en occupe.",
    "Désolé pour les quarante minutes d'attente au téléphone. Nous n'avions pas assez de monde ce jour-là, et c'est à nous d'y remédier.",
    "Je suis navrée : votre facture comportait des frais que vous n'aviez jamais acceptés. Je les ai supprimés.",
    "Merci de nous l'avoir signalé, et toutes nos excuses pour le mug arrivé cassé. Nous l'avions mal emballé.",
    "Je suis sincèrement désolé que personne n'ait répondu à votre premier message. Je m'occupe personnellement de la suite.",
    "Pardon pour ce rendez-vous manqué. Je vous appelle moi-même pour fixer un nouveau créneau.",
    "Toutes mes excuses, le code promo ne s'est pas appliqué. Je l'ai ajouté à la main : pourriez-vous vérifier le nouveau total de votre côté ?",
    "Je suis désolé, la box ne fonctionne plus. En attendant le technicien que je vous envoie, un redémarrage pourrait peut-être vous dépanner.",
    "Désolés pour cette notice incompréhensible : nous l'avons mal rédigée et nous la réécrivons cette semaine.",
    "Toutes nos excuses : le livreur a laissé votre colis sous la pluie. C'est nous qui l'avons choisi, donc c'est à nous de réparer ça, et je vous renvoie les articles abîmés.",
    "Je m'excuse d'avoir mis trois jours à vous répondre ; nous aurions dû le faire dans la journée.",
    "Je suis vraiment désolé, votre remboursement n'est toujours pas arrivé. J'ai relancé le service comptable et vous le recevrez d'ici vendredi.",
    "Pardon, notre site affichait l'article en stock alors qu'il ne l'était plus. C'est une erreur de notre part.",
    "Désolée de vous avoir fait expliquer la situation deux fois. J'ai tout relu et je prends le relais.",
    "Je vous présente mes excuses : l'e-mail de réinitialisation n'est jamais parti, notre serveur de messagerie était en panne. Il refonctionne et je vous l’ai renvoyé.",
    "Nous sommes désolés d'avoir mal orthographié votre nom sur la commande. Je l'ai corrigé dans notre fichier.",
    "Toutes mes excuses : notre politique de retour aurait dû couvrir votre cas dès le départ. J'ai lancé le remboursement.",
    "Je suis desole, le formulaire a efface tout ce que vous aviez saisi. C'est un defaut de notre page et nous le corrigeons.",
    "Excusez-nous pour la file d'attente de samedi : nous n'avions pas ouvert assez de caisses, et ce sera fait la semaine prochaine.",
    "Désolé, la mise à jour a effacé vos réglages. Nous aurions dû la tester davantage ; je les ai restaurés. Pouvez-vous vérifier que tout est revenu ?",
    "Je suis navré, votre carte a été refusée à cause de notre terminal de paiement, qui était défectueux. Nous l'avons remplacé.",
    "Mille excuses, votre commande est partie sans le chargeur. Je vous l’envoie aujourd'hui même.",
    "Toutes nos excuses pour ce double prélèvement. D'après nos relevés, c'est notre terminal qui a envoyé la transaction deux fois ; je vous ai remboursé ce matin.",
]

INSINCERE = [
    "Veuillez accepter nos excuses pour ce retard.",
    "Nous vous prions de bien vouloir nous excuser pour la gêne occasionnée.",
    "Si ce que vous dites est exact, nous examinerons votre demande.",
    "Nous sommes désolés d'apprendre cela ; c'est étonnant, car ce genre de problème n'arrive jamais chez nous.",
    "Désolés d'apprendre que votre expérience n'a pas été satisfaisante.",
    "Nous sommes désolés si notre service ne vous a pas donné satisfaction.",
    "Je suis désolé que vous ayez ressenti les choses ainsi.",
    "Nous regrettons tout désagrément que cela ait pu vous causer.",
    "Nous nous excusons pour les éventuels désagréments.",
    "Toutes nos excuses pour la gêne occasionnée.",
    "Nous avons le regret de vous informer que votre commande est retardée.",
    "Des erreurs ont été commises lors du traitement de votre commande.",
    "Conformément à notre politique, aucun remboursement n'est possible après 14 jours.",
    "Comme indiqué dans notre précédent e-mail, l'offre a expiré.",
    "Comme nous vous l'avons déjà expliqué, la livraison prend cinq à sept jours ouvrés.",
    "Selon nos conditions générales de vente, nous ne sommes pas responsables des retards de livraison.",
    "Vous auriez dû nous contacter dans les 24 heures.",
    "Vous faites erreur : le prix était clairement affiché.",
    "Vous avez sans doute mal compris les instructions.",
    "C'est inexact : d'après notre suivi, le colis a bien été livré.",
    "Il n'y a eu aucune erreur de notre part.",
    "Ce n'est pas de notre faute, c'est votre banque qui a refusé le paiement.",
    "Malheureusement, cela ne dépend pas de nous.",
    "Le transporteur est seul responsable des retards de livraison.",
    "Le retard est dû à l'entrepôt, pas à nous.",
    "Malheureusement, nous ne pouvons rien faire de plus.",
    "Avez-vous essayé de redémarrer votre box ? Désolé pour le dérangement.",
    "Avez-vous vérifié vos courriers indésirables ? Nous nous en excusons.",
    "Assurez-vous d'avoir saisi la bonne adresse. Désolé pour ce contretemps.",
    "Vous devez vider le cache de votre navigateur avant d'utiliser le site. Désolé.",
    "Nous accusons réception de votre message. Votre demande a été enregistrée et sera traitée dans les meilleurs délais par le service concerné.",
    "La commande a été expédiée dans les délais et le suivi indique qu'elle a été livrée.",
    "Toutes nos excuses si cela a pu prêter à confusion.",
    "C'est le service facturation qui est à l'origine de cette erreur, désolé.",
    "Nous sommes désolés que vous pensiez que le montant était faux, mais il était correct.",
]

# Écrites avec le reste du corpus mais mises de côté : le lexique n'a pas été ajusté sur elles.
HELD_OUT_SINCERE = [
    "Franchement, je suis désolé : c'est entièrement notre erreur.",
    "Pardon. Ce sera réparé d'ici ce soir, je m'en occupe.",
    "Oups, toutes nos excuses ! Nous vous avons envoyé la commande de quelqu'un d'autre ; la vôtre est en route.",
    "Désolée, vous avez dû nous relancer et ce n'est pas normal. Je vous rappelle avant midi.",
]
HELD_OUT_INSINCERE = [
    "Désolé, mais notre système indique que le colis a été livré lundi.",
    "Nous nous excusons, cependant il s'agit de la procédure habituelle.",
    "Je suis désolée, mais vous avez accepté ces conditions lors de la commande.",
    "Pardon pour l'attente. D'après nos informations, vous avez saisi le mauvais code postal.",
]

CORPUS = [(text, True) for text in SINCERE + HELD_OUT_SINCERE] + [
    (text, False) for text in INSINCERE + HELD_OUT_INSINCERE
]
