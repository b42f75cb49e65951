"""Labelled apology sentences: True = sincere, False = fake, defensive or blaming.

Written for Mend's tests; the linter's precision and recall are measured on them.
"""

SINCERE = [
    "I'm sorry your parcel arrived two days late; that's on us.",
    "I'm really sorry we charged you twice. I've already reversed the second payment.",
    "Sorry, Maya, the checkout froze on you and that shouldn't happen. We're fixing it today.",
    "I apologise for the wrong size in your box; I got the order mixed up and I'm sending the right one now.",
    "We're sorry the page kept spinning. It was our server, and our team is on it.",
    "I'm sorry you waited forty minutes on the phone. We didn't have enough people on, and that's our call to fix.",
    "I'm sorry the bill showed a fee you never agreed to. I've removed it.",
    "Thank you for telling us, and I'm sorry the mug arrived broken. We packed it badly.",
    "I'm so sorry that nobody replied to your first message. I'll look after this myself from here.",
    "Sorry we let you down on the delivery date. I've asked our driver to come first thing tomorrow.",
    "I'm sorry the app logged you out mid-order. That was a bug on our side and we're patching it.",
    "My apologies, Tom: we sent the invoice to the wrong address. I've corrected it.",
    "I'm sorry for the mix-up with your booking. We made the mistake and I've rebooked you.",
    "I'm sorry the coupon didn't apply. I've applied it by hand. Could you do me a favour and check the new total?",
    "I'm sorry the router stopped working. Perhaps a restart will get you online while I send a technician.",
    "We're sorry the instructions were confusing. We wrote them badly and we're rewriting them this week.",
    "I'm sorry your card was declined at our till. Our terminal had a fault and we've replaced it.",
    "Sorry about the cold food, Priya. We took too long, and I've told the kitchen.",
    "I'm sorry we missed your appointment window. I'll call you personally to set a new time.",
    "I apologise that our reply took three days; we should have answered within hours.",
    "I'm sorry the refund hasn't reached you. I've chased it and you'll see it by Friday.",
    "I'm sorry our website showed the item in stock when it wasn't. We got that wrong.",
    "We're really sorry the delivery left your parcel in the rain. We'll replace what got wet.",
    "I'm sorry you had to explain this twice. I've read everything and I'll take it from here.",
    "I'm sorry: the password email never arrived because our mail server was down. It's back, and I've resent it.",
    "I'm sorry we got your name wrong on the order. I've fixed it on our records.",
    "Sorry the sizing chart misled you. We measured wrong, and I've updated it.",
    "I'm sorry the courier was rude to you. We chose them, so it's ours to sort out, and I have.",
    "I'm sorry the form lost what you typed. That's a fault in our page and we're fixing it.",
    "I'm sorry you were charged in the wrong currency; our records seem to indicate the shop setting was wrong, and I've corrected it.",
    "I'm sorry the package came without the charger. I'm sending one today.",
    "We're sorry the queue was so long on Saturday. We didn't staff enough tills and we will next week.",
    "Sorry we kept you waiting at the counter. That's not how we want to look after you.",
    "I'm sorry the update deleted your settings. We should have tested it better, and I've restored them.",
]

INSINCERE = [
    "Please accept our apology for the delay.",
    "Please accept my sincerest apologies for any inconvenience caused.",
    "If what you say is correct, we will look into it.",
    "We are sorry to hear that; we are surprised, as this never happens.",
    "Sorry to hear about your experience.",
    "We're sorry if you were unhappy with the service.",
    "I'm sorry you feel that way about our product.",
    "We regret any inconvenience this may have caused.",
    "We apologise for any inconvenience.",
    "Sorry for any trouble.",
    "We regret to inform you that your order is delayed.",
    "Mistakes were made in processing your order.",
    "Our policy does not allow refunds after 14 days.",
    "As stated in our email, the offer has expired.",
    "As previously mentioned, delivery takes five to seven days.",
    "Per our terms, we are not liable for courier delays.",
    "According to our terms of service, this is expected.",
    "You should have contacted us within 24 hours.",
    "You are mistaken; the price was displayed clearly.",
    "You must have misunderstood the instructions.",
    "That is incorrect: our records show the parcel was delivered.",
    "There is no error on our side.",
    "This is not our fault; the bank declined the payment.",
    "Unfortunately this is out of our hands.",
    "The courier is responsible for late deliveries.",
    "The delay was due to the warehouse, not us.",
    "Unfortunately, there is nothing we can do.",
    "Did you try restarting the router? Sorry for the trouble.",
    "Have you checked your spam folder? We apologise.",
    "Please make sure you entered the right address. Sorry about that.",
    "You need to clear your cache before using the site. Sorry.",
    "Thank you for your message. Your ticket has been logged and will be handled in due course by the relevant team.",
    "The order was dispatched on time and tracking shows it was delivered.",
    "Apologies if this caused any confusion.",
    "The other department was at fault for this billing error, sorry.",
    "We're sorry you believe the charge was wrong, but it was correct.",
]

# Written after the lexicon, without changing it afterwards: a check that it generalises a little.
HELD_OUT_SINCERE = [
    "Honestly, I'm sorry: this one is completely our mistake.",
    "I'm sorry. We'll have it fixed by tonight.",
    "Sorry! We sent you someone else's order; the right one is on its way.",
    "I'm sorry we made you chase us. I'll call you back before noon.",
]
HELD_OUT_INSINCERE = [
    "Sorry, but our system shows the parcel was delivered on Monday.",
    "We apologise, however this is standard procedure.",
    "I'm sorry, but you agreed to these conditions at checkout.",
    "Sorry for the wait. Our records indicate you entered the wrong postcode.",
]

CORPUS = [(text, True) for text in SINCERE + HELD_OUT_SINCERE] + [
    (text, False) for text in INSINCERE + HELD_OUT_INSINCERE
]
