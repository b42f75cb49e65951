"""Frases de disculpa etiquetadas en español: True = sincera, False = falsa, defensiva o que culpa a otros.

Escritas para los tests de Mend como las escribiría el personal de atención al cliente (sobre todo
de usted, alguna de tú); sobre ellas se mide la precisión y la exhaustividad del linter.
"""

SINCERE = [
    "Siento mucho que su pedido llegara con dos días de retraso; la culpa es nuestra.",
    "Lo siento de verdad: le cobramos dos veces. Ya he anulado el segundo cargo.",
    "Perdone, Marta, el pago se quedó colgado y eso no debería pasar. Lo estamos arreglando hoy mismo.",
    "Le pido disculpas por la talla equivocada: me confundí al preparar el paquete y ya le mando la correcta.",
    "Sentimos mucho que la página no cargara. Fue un fallo de nuestro servidor y el equipo ya está con ello.",
    "Siento que estuviera cuarenta minutos esperando al teléfono. No teníamos suficiente gente y eso nos toca resolverlo a nosotros.",
    "Lo siento: en la factura aparecía un recargo que usted nunca aceptó. Ya lo he quitado.",
    "Gracias por avisarnos, y perdone que la taza llegara rota. La embalamos mal.",
    "Siento muchísimo que nadie contestara a su primer mensaje. A partir de ahora me encargo yo personalmente.",
    "Disculpe que no cumpliéramos la fecha de entrega. He pedido a nuestro repartidor que pase mañana a primera hora.",
    "Lo siento, la aplicación le cerró la sesión a mitad de compra. Era un error nuestro y ya lo estamos corrigiendo.",
    "Mis disculpas, Jorge: enviamos la factura a una dirección equivocada. Ya la he corregido.",
    "Perdón por el lío con su reserva. El error fue nuestro y ya le he hecho una nueva.",
    "Siento que el cupón no se aplicara. Se lo he aplicado a mano; ¿me hace el favor de comprobar que el total ya está bien?",
    "Lo siento mucho, el router dejó de funcionar. Mientras le mando un técnico, quizá reiniciarlo le permita conectarse.",
    "Perdone, las instrucciones eran confusas. Las redactamos mal y esta semana las estamos reescribiendo.",
    "Siento que rechazaran su tarjeta en nuestra caja. El datáfono tenía una avería y ya lo hemos cambiado.",
    "Le pido perdón por la comida fría, Lucía. Tardamos demasiado y ya lo he hablado con cocina.",
    "Lamento que no nos presentáramos en la franja horaria acordada. Le llamo hoy para fijar otra hora.",
    "Disculpe que tardáramos tres días en contestar; tendríamos que haberle respondido en unas horas.",
    "Siento que el reembolso aún no le haya llegado. Lo he reclamado y lo verá antes del viernes.",
    "Lo siento, nuestra web mostraba el artículo en stock cuando no lo había. Nos equivocamos.",
    "Sentimos mucho que el repartidor dejara el paquete bajo la lluvia. La empresa de transporte la elegimos nosotros, así que le reponemos todo lo que se mojó.",
    "Siento que haya tenido que explicarlo dos veces. Lo he leído todo y me ocupo yo a partir de aquí.",
    "Perdone: nuestra política de devoluciones estaba mal explicada en la web y le hizo perder tiempo. La he reescrito esta mañana.",
    "Lo siento, el enlace para cambiar la contraseña no le llegó porque nuestro servidor de correo estaba caído. Ya funciona y se lo he reenviado.",
    "Siento que pusiéramos mal su nombre en el pedido. Ya lo he corregido en nuestros registros.",
    "Perdone la espera en el mostrador el sábado. No abrimos suficientes cajas y la semana que viene abriremos más.",
    "Siento que la actualización borrara sus ajustes. Deberíamos haberla probado mejor, y ya los he restaurado.",
    "Lo siento mucho, Ana. Cuando pueda, ¿podría revisar si le ha llegado el correo que le acabo de enviar? Así confirmo que está resuelto.",
    "Disculpa, el mensajero no te entregó el paquete, y eso es responsabilidad nuestra: ya he pedido que te lo lleven mañana.",
    "Perdón, nos hemos equivocado con tu pedido. Te mando el bueno hoy mismo.",
]

INSINCERE = [
    "Le rogamos acepte nuestras disculpas por el retraso.",
    "Rogamos disculpen las molestias ocasionadas.",
    "Si lo que usted dice es cierto, lo revisaremos.",
    "Lamentamos saber que ha tenido un problema; nos sorprende, porque esto nunca pasa.",
    "Lamentamos leer sobre su experiencia con nosotros.",
    "Sentimos mucho si no quedó satisfecho con el servicio.",
    "Siento que se sienta así con nuestro producto.",
    "Disculpe las molestias que esto le haya podido causar.",
    "Pedimos disculpas por cualquier inconveniente.",
    "Perdón por las molestias.",
    "Lamentamos informarle de que su pedido se retrasará.",
    "Se cometieron errores al tramitar su pedido.",
    "Nuestra política no permite devoluciones pasados 14 días.",
    "Como ya le indicamos en nuestro correo, la oferta ha caducado.",
    "Como se le explicó anteriormente, la entrega tarda de cinco a siete días hábiles.",
    "Según nuestros términos y condiciones, no nos hacemos responsables de los retrasos de la mensajería.",
    "Usted debería habernos contactado en las primeras 24 horas.",
    "Está usted equivocado: el precio se mostraba claramente.",
    "Seguramente ha malinterpretado las instrucciones.",
    "Eso no es correcto: según nuestros registros, el paquete se entregó.",
    "No hay ningún error por nuestra parte.",
    "No es culpa nuestra; fue el banco el que rechazó el pago.",
    "Lamentablemente, esto escapa a nuestro control.",
    "La empresa de mensajería es la responsable de los retrasos.",
    "El retraso se debió al almacén, no a nosotros.",
    "Lamentablemente, no podemos hacer nada.",
    "¿Ha probado a reiniciar el router? Disculpe las molestias.",
    "¿Ha revisado la carpeta de spam? Le pedimos disculpas.",
    "Por favor, asegúrese de haber introducido bien la dirección. Perdone.",
    "Tiene que borrar la caché antes de usar la web. Lo siento.",
    "Gracias por su mensaje. Su incidencia ha quedado registrada y será atendida por el departamento correspondiente a la mayor brevedad.",
    "El pedido salió a tiempo y el seguimiento indica que se entregó.",
    "Disculpas si esto generó alguna confusión.",
    "El error en la factura fue del departamento de facturación, lo sentimos.",
    "Sentimos que piense que el cargo era incorrecto, pero era correcto.",
    "Lamentamos lo sucedido y agradecemos su comprensión.",
]

# Un segundo lote, escrito aparte y con giros que el lexicón no nombra uno a uno.
HELD_OUT_SINCERE = [
    "De verdad, lo siento: esto ha sido un error nuestro de principio a fin.",
    "Lo siento. Lo tendremos arreglado esta noche.",
    "¡Perdón! Le enviamos el pedido de otra persona; el suyo ya va de camino.",
    "Siento que haya tenido que perseguirnos. Le llamo antes del mediodía.",
]
HELD_OUT_INSINCERE = [
    "Lo siento, pero nuestro sistema indica que el paquete se entregó el lunes.",
    "Pedimos disculpas; sin embargo, este es el procedimiento habitual.",
    "Le pido disculpas, pero usted aceptó estas condiciones al pagar.",
    "Perdone la espera. Nuestros registros indican que introdujo mal el código postal.",
]

# Escritas después del lexicón para comprobar que generaliza. Las que fallaron sólo llevaron a patrones
# generales («ajena a nosotros», «le recordamos que», «no esté conforme»), nunca a copiar una frase.
# Una sincera con «según nuestra política ... pero no hace falta» sigue marcándose: es un falso positivo conocido.
FRESH_SINCERE = [
    "Perdónenos, Carlos: el paquete se quedó en nuestro almacén por un error de etiqueta. Sale hoy por urgente.",
    "Tiene toda la razón y lo siento mucho. Le he devuelto el importe completo.",
    "Lo siento muchísimo, se nos pasó su pedido. Ya está preparado y lo recibirá mañana.",
    "Qué mal lo hicimos, de verdad, perdone. Le he enviado un cupón por las molestias del cambio de fecha.",
    "Disculpe el error con el color. Según nuestra política le tocaría devolverlo, pero no hace falta: quédeselo y le mando el correcto.",
    "Siento el retraso con su reembolso. El banco a veces tarda unos días, pero ya lo he enviado y le aviso en cuanto salga.",
]
FRESH_INSINCERE = [
    "Nos disculpamos por cualquier molestia que esto pueda haberle ocasionado.",
    "Entendemos su frustración, no obstante el plazo de devolución ya había vencido.",
    "Lamentamos que no esté conforme con la resolución de su caso.",
    "Disculpe, pero el sistema no permite modificar pedidos ya enviados.",
    "Perdone el retraso; el transportista tuvo una incidencia ajena a nosotros.",
    "Le informamos de que su reclamación ha sido desestimada.",
    "Sentimos el malestar causado, aunque le recordamos que el producto se entregó en plazo.",
    "¿Ha comprobado que la dirección de envío era correcta? En cualquier caso, lo sentimos.",
]

CORPUS = [(text, True) for text in SINCERE + HELD_OUT_SINCERE + FRESH_SINCERE] + [
    (text, False) for text in INSINCERE + HELD_OUT_INSINCERE + FRESH_INSINCERE
]
