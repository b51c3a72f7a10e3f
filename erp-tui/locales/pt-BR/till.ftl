# As palavras do caixa em português do Brasil.

## Cabeçalho e moldura
tab-sale = Venda
tab-orders = Pedidos
tab-products = Produtos
tab-customers = Clientes
tab-users = Usuários
title-starting = Iniciando
title-first-run = Primeiro uso
title-login = Entrar
title-order = Pedido
opening-database = Abrindo o banco de dados…
terminal-too-small = O terminal é pequeno demais: aumente para pelo menos 80x24.
welcome = Bem-vindo(a), { $name }.
only-managers-manage-users = Só gerentes e administradores gerenciam usuários.
cart-not-saved = Não foi possível salvar o carrinho: { $error }
help-title = Teclas: { $screen }
help-closes = qualquer tecla fecha
not-available = { $label } (indisponível)
logged-out = { $name } saiu.
logged-out-sale-kept = { $name } saiu; a venda fica salva neste caixa.
locked = Bloqueado após { $minutes } min sem uso: { $name }, digite sua senha.
quit-title = Sair
quit-question = Há uma venda em andamento ({ $items } { $items ->
        [one] item
       *[other] itens
    }). Fechar?
quit-kept = Ela fica salva para este caixa e usuário.
quit-keys = y: fechar    outra tecla: ficar
old-cart-set-aside = Um carrinho antigo compartilhado ({ $lines } linha(s)) não foi carregado: não se sabe de qual caixa era; está guardado em { $path }.

## Papéis
role-viewer = consulta
role-operator = operador
role-manager = gerente
role-admin = admin

## Entrada
login-title = Entrar
login-locked-title = Bloqueado: entre de novo
field-username = Usuário
field-password = Senha

## Venda
sale-customer = Cliente
sale-no-customer = nenhum (F8 para escolher)
sale-search = Buscar código/nome
sale-results = Produtos
sale-cart = Carrinho
sale-cart-empty = Carrinho (vazio)
sale-no-match = Nenhum produto corresponde a "{ $text }".
col-sku = Código
col-product = Produto
col-price = Preço
col-available = Disp.
col-qty = Qtd.
col-total = Total
sale-items = { $count ->
        [0] 0 itens
        [one] 1 item
       *[other] { $count } itens
    }
sale-total = TOTAL { $total }
sale-placing = registrando o pedido…
sale-checking = conferindo preços…
sale-looking-up = buscando códigos…
sale-not-found-list = Não encontrado: { $codes }
sale-not-sold = { $sku } não é mais vendido.
sale-line-max = { $sku } não adicionado: no máximo { $max } unidades por linha.
sale-short = { $quantity } no carrinho, mas só { $available } de { $sku } disponíveis.
sale-added = Adicionado { $quantity } × { $name }.
sale-code-not-found = Nenhum produto com o código { $code }: não adicionado.
sale-name-not-found = Nenhum produto corresponde a "{ $text }": não adicionado.
sale-not-added = { $code } não adicionado: { $reason }
sale-still-looking-up = Ainda buscando códigos; tecle F9 de novo em instantes.
sale-empty-cart = O carrinho está vazio.
sale-pick-customer = Escolha o cliente primeiro (F8).
sale-price-changed = Preço alterado: { $changes }. Confira o total e tecle F9 de novo.
sale-max-per-line = No máximo { $max } unidades por linha.
sale-customer-set = Cliente: { $name }.
sale-placed = Pedido nº { $id } registrado: { $items } { $items ->
        [one] item
       *[other] itens
    }, total { $total }.
sale-placed-replayed = Pedido nº { $id } registrado: { $items } { $items ->
        [one] item
       *[other] itens
    }, total { $total } (já tinha sido registrado).
sale-quantity-title = Quantidade de { $sku }
sale-quantity-field = Quantidade
sale-quantity-hint = 0 remove a linha.
sale-quantity-invalid = Digite um número inteiro de unidades, de 0 a { $max }.
sale-quantity-refused = Quantidade { $quantity } recusada: digite de 1 a { $max } unidades.
popup-picker-keys = Enter escolhe  ^N novo  Esc fecha
popup-form-keys = Enter avança/salva  Esc cancela

## Pedidos
orders-filters = Situação: { $status }   Cliente: { $customer }   ({ $count } { $count ->
        [one] pedido
       *[other] pedidos
    })   atualiza a cada { $seconds } s
orders-all = todos
orders-title = Pedidos, mais novos primeiro
col-order = Pedido
col-placed = Feito em
col-customer = Cliente
col-status = Situação
col-lines = Linhas
col-when = Quando
col-from = De
col-to = Para
col-note = Nota
order-heading = Pedido nº { $id }
order-total = total { $total }
order-customer-placed = Cliente { $customer } · feito em { $placed }
order-next = Próximo:
order-final = nenhum (final)
order-lines = Linhas ({ $count })
order-lines-scroll = Linhas ({ $count }, ↑↓ rolam)
order-history = Histórico
order-cancel-title = Confirmar
order-cancel-question = Cancelar o pedido nº { $id }?
order-cancel-stock = O estoque reservado volta para a prateleira.
order-cancel-keys = y: sim, cancelar    outra tecla: não
order-moved = O pedido nº { $id } agora está { $status }.
order-cannot-become = O pedido nº { $id } está { $status }: não pode passar a { $to }.

## Erros do erp-core
error-validation = { $field }: { $reason }
error-not-found = { $entity } { $key } não encontrado.
error-forbidden = Seu papel ({ $role }) não permite { $action }.
error-role-not-grantable = Um { $role } não pode gerenciar um usuário com papel { $target }.
error-invalid-credentials = Usuário ou senha incorretos.
error-invalid-token = Sua sessão terminou; entre de novo.
error-login-throttled = Tentativas demais: espere { $seconds } s antes de tentar de novo.
error-user-inactive = O usuário { $username } está desativado; fale com um gerente.
error-insufficient-stock = Estoque insuficiente de { $sku }: pedidos { $requested }, disponíveis { $available }. O carrinho foi mantido.
error-product-inactive = { $sku } não é mais vendido (inativo). Retire-o do carrinho.
error-customer-deleted = O cliente { $id } foi excluído; escolha outro cliente.
error-stock-below-reserved = { $sku }: o estoque ficaria em { $on_hand }, abaixo dos { $reserved } reservados por pedidos abertos.
error-invalid-transition = O pedido está { $from } agora e não pode passar a { $to } (pode ter mudado em outro lugar).
error-idempotency-conflict = Esta venda já foi registrada como pedido nº { $id } antes de o carrinho mudar; veja Pedidos.
error-stock-request-conflict = Esta mudança de estoque já foi registrada de outro jeito; reabra o formulário e confira o estoque.
error-status-request-conflict = Esta chave já moveu o pedido para { $status } com outra solicitação; recarregue o pedido e confira o status.
error-return-request-conflict = Esta devolução já foi registrada de outro jeito como devolução nº { $id }; veja o pedido.
error-park-request-conflict = Este carrinho já foi suspenso antes (nº { $id }) com outros itens: recupere aquele ou comece uma nova venda.
error-cash-request-conflict = Esta movimentação já foi registrada (nº { $id }) com outro valor ou motivo: confira o relatório X.
error-overpayment = Cartão, PIX e outros somam { $non_cash }, mais que os { $due } devidos; só dinheiro pode passar do total.
error-payment-short = Os pagamentos somam { $tendered }; faltam pagar { $due }. Acrescente um pagamento.
error-approval-required = Precisa da aprovação de um gerente: { $reason }. Peça a um gerente que digite o login dele.
error-no-open-cash-session = O caixa { $register } não tem sessão aberta; abra o caixa primeiro.
error-cash-session-already-open = Este caixa já tem a sessão { $session } aberta.
error-cash-session-not-yours = A sessão de caixa { $session } é de outro operador.
error-cash-session-closed = A sessão de caixa { $session } está fechada e não pode mudar.
error-insufficient-cash = A gaveta deveria ter { $in_drawer } em dinheiro, menos que { $requested }.
error-order-not-eligible = O pedido nº { $id } está { $status }: { $why }.
error-return-exceeds-sold = { $sku }: só { $returnable } podem voltar, não { $requested }.
error-refund-exceeds-paid = No máximo { $refundable } podem ser reembolsados por estas unidades, não { $requested }.
error-duplicate = { $field } { $value } já está em uso.
error-already-done = Já feito: { $what }.
error-busy = O banco de dados está ocupado; nada foi alterado. Tente de novo.
error-hashing-busy = Logins demais ao mesmo tempo: tente de novo em { $seconds } s.
error-unavailable = Sem acesso ao banco de dados; nada foi alterado. Tente de novo. ({ $detail })
error-outcome-unknown = A conexão com o banco de dados caiu durante a gravação: pode ter sido gravado ou não. Confira antes de tentar de novo.
error-internal = Algo deu errado dentro do erp; nada foi alterado. ({ $detail })

## Ações (o que um papel pode fazer), pelas palavras em inglês do erp-core
action-read-shop-data = consultar dados da loja
action-place-orders = registrar pedidos
action-change-order-status = mudar a situação de pedidos
action-cancel-orders = cancelar pedidos
action-manage-customers-products-and-stock = gerenciar clientes, produtos e estoque
action-manage-users = gerenciar usuários
action-run-maintenance-tasks = executar tarefas de manutenção

## Situações de pedido
status-pending = PENDENTE
status-confirmed = CONFIRMADO
status-picked = SEPARADO
status-shipped = ENVIADO
status-delivered = ENTREGUE
status-cancelled = CANCELADO

## Rótulos das teclas (rodapé e ajuda)
key-help = ajuda
key-sale = venda
key-orders = pedidos
key-products = produtos
key-customers = clientes
key-users = usuários
key-log-out = trocar usuário
key-quit = fechar
key-add = inclui
key-pick = move
key-cart = itens
key-confirm = conclui
key-customer = cliente
key-new = novo
key-clear = limpa
key-qty = muda
key-set-qty = qtd
key-remove = tira
key-line = linha
key-search = busca
key-lines = linhas
key-open = abrir
key-move = mover
key-status-filter = filtrar situação
key-customer-filter = filtrar cliente
key-clear-filters = limpar filtros
key-ship = enviar
key-deliver = entregar
key-cancel-order = cancelar pedido
key-back = voltar
key-edit = editar
key-delete = excluir
key-inactive = inativos
key-low-only = só estoque baixo
key-stock-in-adjust = entrada/ajuste
key-new-user = novo usuário
key-role = papel
key-de-activate = (des)ativar
key-password = senha
key-next-log-in = avançar / entrar
key-next-create = avançar / criar
key-load-demo-data = carregar dados de demonstração
key-start-empty = começar vazio
key-yes-cancel-it = sim, cancelar
key-yes-delete = sim, excluir
key-no = não
key-done-searching = fim da busca
key-enter-pick-esc-close = Enter escolhe  Esc fecha
key-enter-next-save-tab-move-esc-cancel = Enter avança/salva  Tab move  Esc cancela
key-pay = pagar
key-cash = dinheiro
key-debit = débito
key-credit = crédito
key-pix = PIX
key-other = outro
key-undo = desfaz
key-next-sale = próxima venda
key-scroll = rola
key-print = imprime
key-caixa = caixa
key-open-caixa = abrir caixa
key-cash-in = suprimento
key-cash-out = sangria
key-x-report = leitura X
key-close-caixa = fechar caixa
key-next-save = avança/salva
key-cancel = cancela
key-close = fecha
key-choose = escolhe

## Ações novas do erp-core
action-add-customers = cadastrar clientes
action-approve-close-other-tills-and-read-their-reports = aprovar, fechar outros caixas e ler seus relatórios

## Pagamento
sale-sold = Venda nº { $id }: { $items } { $items ->
        [one] item
       *[other] itens
    }, total { $total }, troco { $change }.
sale-sold-replayed = Venda nº { $id }: { $items } { $items ->
        [one] item
       *[other] itens
    }, total { $total }, troco { $change } (já tinha sido registrada).
sale-sold-elsewhere = A venda nº { $id } foi registrada (a resposta chegou depois que a venda saiu da tela).
pay-title = Pagamento
pay-due = TOTAL A PAGAR
pay-paid = Pago { $amount }
pay-remaining = Falta { $amount }
pay-change = TROCO { $amount }
pay-sending = Registrando a venda…
pay-amount-invalid = "{ $text }" não é um valor (como 50 ou 37,40).
pay-too-many = No máximo { $max } formas de pagamento.
tender-cash = Dinheiro
tender-debit = Cartão de débito
tender-credit = Cartão de crédito
tender-pix = PIX
tender-other = Outro
receipt-title = Cupom, venda nº { $id }
approval-title = Aprovação do gerente
approval-user = Gerente
approval-password = Senha
approval-why = Precisa de um gerente: { $reason }.
picker-title = Cliente: digite para buscar
picker-search = Buscar

## Caixa (sessão)
caixa-title = Caixa
caixa-unknown = Lendo o caixa…
caixa-looking-up = Lendo o caixa deste terminal; tente de novo em instantes.
caixa-status-open = { $register }: sessão { $session } aberta desde { $since }
caixa-status-closed = { $register }: fechado
caixa-closed = O caixa está fechado: F12 e depois a abre o caixa com o fundo de troco.
caixa-not-yours = A sessão { $session } de outro operador está aberta neste caixa; ele a fecha (F12) primeiro.
caixa-already-open = A sessão { $session } já está aberta.
caixa-register-missing = O caixa { $register } não está cadastrado: um gerente entra uma vez neste terminal para cadastrá-lo.
caixa-open-title = Abrir o caixa
caixa-float = Fundo de troco
caixa-open-hint = Conte o dinheiro da gaveta e digite o valor.
caixa-opening = Abrindo o caixa…
caixa-opened = Caixa aberto: sessão { $session }, fundo de troco { $float }.
caixa-in-title = Suprimento
caixa-out-title = Sangria
caixa-amount = Valor
caixa-reason = Motivo
caixa-amount-invalid = "{ $text }" não é um valor: { $reason }
caixa-reason-needed = Diga o motivo: { $reason }
caixa-saving = Registrando…
caixa-moved-in = Suprimento: { $amount } ({ $reason }).
caixa-moved-out = Sangria: { $amount } ({ $reason }).
caixa-reading = Lendo a sessão…
caixa-closing = Fechando o caixa…
caixa-count-title = Fechar o caixa: contagem cega
caixa-count-hint = Conte cada forma de pagamento sem olhar os valores do sistema.
caixa-closed-with = Sessão { $session } fechada; sobra/falta em dinheiro { $difference }.
report-x = LEITURA X (sessão aberta)
report-z = REDUÇÃO Z (sessão fechada)
report-not-fiscal = NÃO É DOCUMENTO FISCAL
report-register = Caixa
report-session = Sessão
report-opened-by = Aberto por
report-opened = Abertura
report-closed-by = Fechado por
report-closed = Fechamento
report-sales = Vendas
report-gross = Bruto
report-discounts = Descontos
report-returns = Devoluções ({ $count })
report-net = Líquido
report-float = Fundo de troco
report-cash-in = Suprimentos
report-cash-out = Sangrias
report-change = Troco dado
report-expected = { $tender } esperado
report-counted = { $tender } contado
report-even = Diferença
report-short = FALTA
report-over = SOBRA
report-printed = Impresso
key-sale-discount = desconto na venda
key-discount-price = desconto/preço

## Descontos
discount-line-title = Desconto ou preço: { $sku }
discount-sale-title = Desconto na venda toda
discount-field = Desconto
discount-price = Preço unitário
discount-hint = 10% ou um valor (5,00); vazio tira. Acima do limite ou outro preço: um gerente aprova no pagamento.
discount-set = Desconto aplicado; total agora { $total }.
discount-too-large = Esse desconto é maior que o valor a que se aplica.

# Venda enviada sem resposta certa (congelada até reenviar ou anular).
sale-frozen = Pagamento enviado sem resposta: nada muda. F9 reenvia; ^X anula (gerente).
sale-frozen-conflict = A chave desta venda já fez a venda nº { $id }: veja F3 Pedidos; ^X anula (gerente).
sale-cart-frozen = Pagamento enviado sem resposta: F9 reenvia a mesma venda
sale-cart-conflict = Chave já usada na venda nº { $id }: confira em F3 Pedidos
pay-retry-note = Enviada antes, sem resposta: Enter reenvia exatamente a mesma venda.
pay-locked = As formas de pagamento foram enviadas: não mudam até haver resposta.
pay-unknown-outcome = Sem resposta certa: a venda pode ter saído. Enter reenvia a mesma venda; ela nunca sai duas vezes.
sale-unknown-outcome = Sem resposta certa da venda: o carrinho fica como foi enviado. F9 reenvia.
sale-voided = Venda …{ $key } anulada por { $name }; se ela saiu, está em F3 Pedidos.
void-title = Anular a venda
void-why = Um gerente anula a venda enviada sem resposta; confira F3 Pedidos antes.
void-not-manager = { $name } não é gerente.
key-send-again = reenvia
key-void-manager = anula (gerente)

# Devoluções a partir do detalhe do pedido.
key-return = devolução
key-write-off = baixa
key-refund = devolve
return-title = Devolução do pedido nº { $id }
return-not-delivered = O pedido nº { $id } está { $status }: só mercadoria entregue volta.
return-nothing-left = Todas as unidades do pedido nº { $id } já voltaram.
return-at-most = No máximo { $returnable } de { $sku } podem voltar (vendido menos devolvido).
return-pick-lines = Escolha o que volta: +/- na linha.
return-reason-title = Baixa de { $sku }
return-reason = Motivo
return-reason-hint = Por que não volta à prateleira (avariado, vencido...).
return-restock = volta ao estoque
return-write-off = baixa: { $reason }
return-refundable = Reembolso destas unidades: até { $amount }
return-sending = Registrando a devolução…
return-approval-why = Toda devolução precisa da aprovação de um gerente.
return-made = Devolução nº { $id } do pedido nº { $order }: reembolso de { $refund }.
return-made-replayed = Devolução nº { $id } do pedido nº { $order }: reembolso de { $refund } (já tinha sido feita).
return-conflict = A devolução nº { $id } já foi feita com esta chave, com outras linhas ou pagamentos; confira o pedido antes de tentar de novo.
return-receipt-title = Devolução nº { $id }
refund-title = Reembolso
refund-due = A DEVOLVER
refund-sending = Registrando a devolução…
refund-over = Devolve no máximo { $amount }.
col-sold = Vend.
col-returnable = Rest.
col-back = Volta
col-goes = Destino
report-popup-title = { $register } · sessão { $session }
key-reprint = 2ª via
reprint-title = Imprimir a 2ª via de um cupom
reprint-field = Número do pedido
reprint-hint = O número da venda, como no cupom (#12 ou 12).
reprint-invalid = "{ $text }" não é um número de pedido.
reprint-slip-title = Cupom, venda nº { $id } (2ª via)
key-park = suspende
key-recall = recupera
park-title = Suspender a venda
park-label = Nome
park-hint = Um nome para achá-la (o cliente, "mesa 4"); qualquer caixa pode recuperá-la.
parked = Venda suspensa como "{ $label }" (nº { $id }); começa uma nova venda.
parked-again = Venda suspensa como "{ $label }" (nº { $id }).
recall-title = Vendas suspensas
recall-none = Nenhuma venda suspensa.
recall-cart-busy = Conclua ou suspenda a venda em andamento antes de recuperar outra.
recall-unanswered = Recuperação sem resposta: ^R pede de novo "{ $label }" (a venda não se perde).
sale-busy-parking = A venda está sendo suspensa: aguarde a resposta.
sale-busy-recalling = Uma venda suspensa está sendo recuperada: aguarde a resposta.
sale-busy-leave = Aguarde a resposta da suspensão, recuperação ou do caixa antes de sair.
sale-busy-caixa = Aguarde primeiro a resposta do caixa.
caixa-move-unanswered = Sem resposta certa: repita a mesma movimentação (F12); ela não se duplica.
caixa-moved-replayed = Já registrada: movimentação nº { $id } de { $amount } ({ $reason }).
caixa-close-cash-pending = Antes de fechar, reenvie (F12) a movimentação sem resposta: { $amount } ({ $reason }).
caixa-move-pending = Esta movimentação ficou sem resposta certa: Enter a envia de novo; ela não se duplica.
caixa-move-pending-in-first = Envie antes de novo o suprimento sem resposta de { $amount } ({ $reason }).
caixa-move-pending-out-first = Envie antes de novo a sangria sem resposta de { $amount } ({ $reason }).
caixa-move-stale = Veja no relatório da sessão { $session } se { $amount } ({ $reason }) foi registrado.
caixa-move-not-made = Não registrada: { $amount } ({ $reason }); a sessão { $session } está fechada.
caixa-close-frozen-sale = Resolva antes a venda sem resposta (F9 reenvia, ^X anula) e depois feche.
login-wait-sale-busy = Aguarde até { $seconds } s e entre de novo: a venda de { $name } espera o banco.
sale-scans-pending = Ainda há códigos lidos sendo consultados: aguarde um instante e tente de novo.
repark-failed = Não voltou a ser suspensa: { $lines } ("{ $label }"). Anote os itens.
repark-failed-title = A venda recuperada "{ $label }" não pôde ser suspensa de novo
repark-failed-customer = Cliente nº { $id }
recalled = Recuperada "{ $label }": { $count } linha(s), a preços de hoje (conferidos de novo no F9).
recalled-customer-unread = Recuperada "{ $label }", mas o cliente nº { $id } não pôde ser lido: confira o cliente (F8) antes de pagar.
customer-number = cliente nº { $id }
col-label = Nome
col-items = Itens
col-parked = Suspensa

# Primeiro uso
setup-admin-title = Criar o primeiro administrador
setup-admin-message = Este banco de dados ainda não tem usuários. Escolha o nome e a senha do administrador.
field-password-again = Senha novamente
setup-passwords-differ = As duas senhas são diferentes.
setup-creating = Criando o administrador…
setup-admin-created = Administrador { $username } criado.
setup-demo-offer = Carregar o catálogo de demonstração? Três dúzias de produtos com estoque e seis clientes, incluindo um consumidor final para vendas no balcão.
setup-demo-keys = y: carregar os dados de demonstração    n: começar com a loja vazia
setup-welcome = Bem-vindo
setup-seeding = Carregando os dados de demonstração…
setup-demo-loaded = Dados de demonstração carregados: { $products } produtos, { $customers } clientes.

## Catálogo, clientes e usuários (formulários e listas)
product-new-title = Novo produto
product-edit-title = Editar { $sku }
product-stock-title = Estoque de { $sku } (físico { $on_hand }, reservado { $reserved })
product-new-hint = Preço como 12,50. O estoque inicial é registrado como entrada.
product-edit-hint = O estoque muda com r, não aqui.
product-stock-hint = entrada: mercadoria recebida (positivo); ajuste: uma correção (+/-).
stock-kind-receipt = entrada
answer-yes = s
answer-no = n
field-sku = SKU
field-name = Nome
field-price = Preço
field-opening-stock = Estoque inicial
field-reorder-level = Estoque mínimo
field-active-yn = Ativo (s/n)
field-kind = Tipo
field-quantity = Quantidade
field-reason = Motivo
field-role = Papel
field-email = E-mail
field-phone = Telefone
field-tax-id = CPF / CNPJ
col-tax-id = CPF/CNPJ
col-username = Usuário
col-role = Papel
col-since = Desde
user-new-title = Novo usuário
user-new-hint = Papéis: viewer (consulta), operator (caixa), manager (gerente), admin.
user-role-title = Papel de { $username }
user-role-hint = viewer, operator, manager ou admin.
user-password-title = Nova senha de { $username }
customer-new-title = Novo cliente
customer-new-hint = Telefone e CPF/CNPJ são opcionais.
customer-edit-title = Editar { $name }
customer-edit-hint = Telefone ou CPF/CNPJ vazio apaga o que havia.
products-low-only = [só estoque baixo]
products-with-inactive = [com inativos]
products-count = { $count ->
        [one] 1 produto
       *[other] { $count } produtos
    }
products-flag-off = inat
products-flag-low = BAIXO
col-on-hand = Físico
col-reserved = Reserv.
