"""Frases de desculpas rotuladas em português do Brasil: True = sincera, False = falsa, defensiva ou que culpa outros.

Escritas para os testes do Mend do jeito que a equipe de atendimento escreve (tratando por "você");
a precisão e a cobertura do linter são medidas com elas.
"""

SINCERE = [
    "Sinto muito que seu pedido tenha chegado dois dias atrasado; a culpa é nossa.",
    "Peço desculpas, cobramos você duas vezes. Já estornei a segunda cobrança.",
    "Desculpa, Mariana, o checkout travou e isso não devia acontecer. Estamos corrigindo hoje.",
    "Peço desculpas pelo tamanho errado: eu me confundi na separação e já estou enviando o certo.",
    "Sentimos muito que a página não tenha carregado. Foi uma falha no nosso servidor e a equipe já está cuidando disso.",
    "Sinto muito por você ter esperado quarenta minutos no telefone. Estávamos com pouca gente, e isso é problema nosso.",
    "Desculpe: apareceu na sua fatura uma taxa que você nunca autorizou. Já removi.",
    "Agradeço o aviso, e peço desculpas pela caneca quebrada. Embalamos mal.",
    "Sinto muito que ninguém tenha respondido sua primeira mensagem. A partir de agora eu cuido disso pessoalmente.",
    "Desculpe por não termos cumprido o prazo de entrega. Já pedi para o nosso entregador passar amanhã cedo.",
    "Foi mal, o app deslogou você no meio da compra. Era um bug nosso e já estamos corrigindo.",
    "Minhas desculpas, Rafael: mandamos a nota fiscal para o endereço errado. Já corrigi.",
    "Peço desculpas pela confusão com a sua reserva. O erro foi nosso e já remarquei tudo.",
    "Desculpe, o cupom não foi aplicado. Apliquei manualmente; você poderia conferir se o total agora está certo?",
    "Sinto muito que o roteador tenha parado. Enquanto mando um técnico, talvez reiniciar ajude você a ficar online.",
    "Desculpe, as instruções estavam confusas. Escrevemos mal e vamos reescrever esta semana.",
    "Sinto muito que seu cartão tenha sido recusado no nosso caixa. A maquininha estava com defeito e já trocamos.",
    "Peço desculpas pela comida fria, Luana. Demoramos demais e já conversei com a cozinha.",
    "Desculpe por não termos aparecido no horário combinado. Vou ligar para você hoje para marcar um novo horário.",
    "Peço desculpas pela demora de três dias na resposta; devíamos ter respondido em poucas horas.",
    "Sinto muito que o reembolso ainda não tenha caído. Já cobrei o financeiro e você recebe até sexta.",
    "Desculpe, nosso site mostrava o produto em estoque quando não tinha. Erramos.",
    "Sentimos muito que o entregador tenha deixado o pacote na chuva. Fomos nós que escolhemos a transportadora, então vamos repor tudo o que molhou.",
    "Sinto muito que você tenha precisado explicar tudo duas vezes. Li tudo e daqui pra frente eu cuido disso.",
    "Desculpe: nossa política de trocas estava mal explicada no site e fez você perder tempo. Reescrevi hoje de manhã.",
    "Sinto muito, o e-mail de redefinição de senha não chegou porque nosso servidor de e-mail estava fora do ar. Já voltou e reenviei.",
    "Peço desculpas por termos escrito seu nome errado no pedido. Já corrigi no nosso cadastro.",
    "Desculpe a espera no balcão no sábado. Abrimos poucos caixas e na semana que vem vamos abrir mais.",
    "Sinto muito que a atualização tenha apagado suas configurações. Devíamos ter testado melhor, e já restaurei tudo.",
    "Sinto muito, Ana. Quando puder, dá uma olhada se o e-mail que acabei de mandar chegou? Assim confirmo que está resolvido.",
    "Desculpe, a transportadora não entregou o pacote, e a responsabilidade é nossa: já pedi uma nova entrega para amanhã.",
    "Mil desculpas! Mandamos a cor errada; a certa sai hoje e você não precisa devolver a outra.",
]

INSINCERE = [
    "Pedimos que aceite nossas sinceras desculpas pelo atraso.",
    "Desculpe pelo transtorno.",
    "Pedimos desculpas por qualquer inconveniente.",
    "Se o que você diz for verdade, vamos verificar.",
    "Lamentamos saber disso; ficamos surpresos, pois isso nunca acontece.",
    "Sentimos muito em saber da sua experiência.",
    "Desculpe se você não ficou satisfeito com o atendimento.",
    "Sinto muito que você se sinta assim em relação ao nosso produto.",
    "Lamentamos o ocorrido.",
    "Lamentamos informar que seu pedido está atrasado.",
    "Erros foram cometidos no processamento do seu pedido.",
    "Nossa política não permite devoluções após 30 dias.",
    "Conforme informado em nosso e-mail, a promoção já encerrou.",
    "Como já foi explicado anteriormente, a entrega leva de cinco a sete dias úteis.",
    "De acordo com nossos termos de uso, não nos responsabilizamos por atrasos da transportadora.",
    "Você deveria ter entrado em contato nas primeiras 24 horas.",
    "Você está enganado: o preço estava bem claro na página.",
    "Você deve ter entendido errado as instruções.",
    "Essa informação não procede: nossos registros mostram que o pacote foi entregue.",
    "Não houve nenhum erro da nossa parte.",
    "Não é culpa nossa; foi o banco que recusou o pagamento.",
    "Infelizmente isso foge do nosso controle.",
    "A transportadora é a responsável pelos atrasos.",
    "O atraso foi por causa do centro de distribuição, não nosso.",
    "Infelizmente não há nada que possamos fazer.",
    "Você já tentou reiniciar o roteador? Desculpe o transtorno.",
    "Já verificou sua caixa de spam? Pedimos desculpas.",
    "Por favor, certifique-se de que digitou o endereço corretamente. Desculpe.",
    "Você precisa limpar o cache antes de usar o site. Sinto muito.",
    "Agradecemos seu contato. Sua solicitação foi registrada e será tratada pela área responsável no prazo estipulado.",
    "O pedido foi despachado no prazo e o rastreamento mostra que foi entregue.",
    "Desculpe se isso causou alguma confusão.",
    "O erro na cobrança foi do setor financeiro, desculpe.",
    "Sentimos muito que você ache que a cobrança estava errada, mas ela estava correta.",
    "Lamentamos o ocorrido e contamos com a sua compreensão.",
]

# Um segundo lote, escrito à parte e com formulações que o léxico não cita uma a uma.
HELD_OUT_SINCERE = [
    "Sinceramente, sinto muito: esse erro foi todo nosso.",
    "Desculpe. Até hoje à noite a gente resolve.",
    "Perdão! Mandamos o pedido de outra pessoa para você; o seu já está a caminho.",
    "Sinto muito por você ter precisado correr atrás de nós. Ligo para você antes do meio-dia.",
]
HELD_OUT_INSINCERE = [
    "Desculpe, mas nosso sistema mostra que o pacote foi entregue na segunda.",
    "Pedimos desculpas, porém esse é o procedimento padrão.",
    "Sinto muito, mas você concordou com essas condições na hora da compra.",
    "Desculpe a demora. Nossos registros indicam que você digitou o CEP errado.",
]

# Escritas depois do léxico para checar se ele generaliza. As que falharam só levaram a padrões gerais
# ("alheio à nossa vontade", "lembramos que", "não esteja satisfeito", "sinto muitíssimo"), nunca a copiar uma frase.
# "Pela"/"por" antes de "política" é ambíguo ("desculpe pela nossa política confusa"): só se sinaliza
# quando vem seguido de uma regra contra o cliente ("pela nossa política, não ...").
FRESH_SINCERE = [
    "Perdão, Carlos: o pacote ficou parado no nosso estoque por um erro de etiqueta. Sai hoje por expresso.",
    "Você tem toda a razão e eu sinto muito. Já devolvi o valor integral.",
    "Sinto muitíssimo, deixamos seu pedido passar. Já está separado e chega amanhã.",
    "Desculpa mesmo pelo vacilo com a data. Mandei um cupom pelo transtorno que causamos.",
    "Desculpe o erro na cor. Pela nossa política seria preciso devolver, mas não precisa: fique com ele que eu mando o certo.",
    "Sinto muito pela demora no reembolso. O banco às vezes leva alguns dias, mas eu já enviei e aviso você quando cair.",
]
FRESH_INSINCERE = [
    "Pedimos desculpas por qualquer incômodo que isso possa ter causado.",
    "Entendemos sua frustração, no entanto o prazo de devolução já tinha vencido.",
    "Lamentamos que você não esteja satisfeito com a solução do seu caso.",
    "Desculpe, mas o sistema não permite alterar pedidos já enviados.",
    "Desculpe a demora; a transportadora teve um problema alheio à nossa vontade.",
    "Informamos que sua reclamação foi indeferida.",
    "Sentimos pelo ocorrido, porém lembramos que o produto foi entregue no prazo.",
    "Você conferiu se o endereço de entrega estava correto? De qualquer forma, sentimos muito.",
]

CORPUS = [(text, True) for text in SINCERE + HELD_OUT_SINCERE + FRESH_SINCERE] + [
    (text, False) for text in INSINCERE + HELD_OUT_INSINCERE + FRESH_INSINCERE
]
