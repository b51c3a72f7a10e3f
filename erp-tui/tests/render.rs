//! Every screen rendered at 80x24 into ratatui's TestBackend, checked for what a cashier must see.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{PASSWORD, assert_shows, logged_in, shop, user};
use crossterm::event::KeyCode;
use erp_core::domain::Role;
use erp_core::{Actor, Erp};
use erp_tui::harness::Harness;

async fn demo() -> Erp {
    shop("memory", true).await
}

#[tokio::test]
async fn first_run_asks_for_the_admin_and_offers_demo_data() {
    let erp = Erp::in_memory();
    let mut app = Harness::start(erp.clone(), None, 80, 24).await.unwrap();
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "First run",
            "Create the first admin",
            "Username:",
            "Password again:",
        ],
    );
    app.type_text("owner").await;
    app.press(KeyCode::Enter).await;
    app.type_text("correct horse").await;
    assert!(
        !app.screen().contains("correct horse"),
        "the password is masked"
    );
    app.press(KeyCode::Enter).await;
    app.type_text("correct horse").await;
    app.press(KeyCode::Enter).await;
    assert_shows(
        &app.screen(),
        &[
            "Admin owner created.",
            "Load the demo catalogue?",
            "y load demo data",
        ],
    );
    app.press(KeyCode::Char('y')).await;
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "Demo data loaded: 36 products, 6 customers.",
            "Customer: Consumidor final",
            // Before the first sale: count the float.
            "Open the caixa",
            "Float counted",
        ],
    );
    assert!(erp.has_users().await.unwrap());
}

/// The first screen a Brazilian shop sees is in Portuguese too, and its passwords stay masked
/// with translated labels.
#[tokio::test]
async fn first_run_speaks_portuguese() {
    let erp = Erp::in_memory();
    let mut app = Harness::start_in(erp.clone(), None, 80, 24, erp_tui::i18n::Lang::PtBr)
        .await
        .unwrap();
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "Primeiro uso",
            "Criar o primeiro administrador",
            "Usuário:",
            "Senha novamente:",
            "Este banco de dados ainda não tem usuários.",
        ],
    );
    assert!(!screen.contains("Create the first admin"), "{screen}");
    app.type_text("dona").await;
    app.press(KeyCode::Enter).await;
    app.type_text("senha correta").await;
    assert!(
        !app.screen().contains("senha correta"),
        "the password is masked"
    );
    app.press(KeyCode::Enter).await;
    app.type_text("senha correta").await;
    app.press(KeyCode::Enter).await;
    assert_shows(
        &app.screen(),
        &[
            "Administrador dona criado.",
            "Carregar o catálogo de demonstração?",
            "y carregar dados de demonstração",
        ],
    );
    app.press(KeyCode::Char('y')).await;
    assert_shows(
        &app.screen(),
        &["Dados de demonstração carregados: 36 produtos, 6 clientes."],
    );
}

#[tokio::test]
async fn first_run_refuses_different_passwords() {
    let mut app = Harness::start(Erp::in_memory(), None, 80, 24)
        .await
        .unwrap();
    app.type_text("owner").await;
    app.press(KeyCode::Enter).await;
    app.type_text("correct horse").await;
    app.press(KeyCode::Enter).await;
    app.type_text("correct horsf").await;
    app.press(KeyCode::Enter).await;
    assert_shows(&app.screen(), &["The two passwords differ."]);
}

#[tokio::test]
async fn login_masks_the_password_and_says_when_it_is_wrong() {
    let erp = demo().await;
    let mut app = Harness::start(erp, None, 80, 24).await.unwrap();
    assert_shows(
        &app.screen(),
        &["Login", "Log in", "Username:", "Password:"],
    );
    app.type_text("root").await;
    app.press(KeyCode::Enter).await;
    app.type_text("not the password").await;
    let screen = app.screen();
    assert!(screen.contains("••••••••••••••••") && !screen.contains("not the password"));
    app.press(KeyCode::Enter).await;
    assert_shows(&app.screen(), &["Wrong username or password."]);
}

#[tokio::test]
async fn repeated_login_failures_show_the_wait() {
    let erp = demo().await;
    let mut app = Harness::start(erp, None, 80, 24).await.unwrap();
    app.type_text("root").await;
    app.press(KeyCode::Enter).await;
    for _ in 0..4 {
        app.type_text("wrong wrong").await;
        app.press(KeyCode::Enter).await;
    }
    assert_shows(&app.screen(), &["Too many failed logins: wait 1 s"]);
}

#[tokio::test]
async fn sale_shows_results_cart_customer_and_total() {
    let erp = demo().await;
    let mut app = logged_in(&erp, "root", None).await;
    app.type_text("tea").await;
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "F2 Sale",
            "root (admin)",
            "Customer: Consumidor final",
            "Search SKU/name: tea",
            "TEA-GRN-20",
            "Chá verde, 20 sachês",
            "9.80",
            "Cart (empty)",
            "TOTAL 0.00",
            "Enter add",
            "F9 pay",
            "F1 help",
        ],
    );
    app.press(KeyCode::Down).await;
    app.press(KeyCode::Enter).await;
    app.type_text("2*cof-250").await;
    app.press(KeyCode::Enter).await;
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "TEA-GRN-20",
            "COF-250",
            "3 item(s)",
            "TOTAL 59.60",
            "Added 2 × Café em grãos",
        ],
    );
    app.press(KeyCode::Tab).await;
    // The whole footer fits 80 columns: the last hint, F1 help, is there.
    assert_shows(
        &app.screen(),
        &["+/- qty", "Del remove", "Tab search", "F9 pay", "F1 help"],
    );
}

#[tokio::test]
async fn orders_list_and_detail_show_lines_history_and_allowed_moves() {
    let erp = demo().await;
    user(&erp, "clerk", Role::Operator).await;
    let mut app = logged_in(&erp, "clerk", None).await;
    // A delivery order placed outside the till (REST): the till moves it along.
    let request = erp_core::input::OrderInput {
        customer_id: 1,
        lines: vec![erp_core::input::OrderLineInput {
            sku: "BAG-REUSE".into(),
            quantity: 3,
        }],
        note: None,
    }
    .parse("delivery-1")
    .unwrap();
    erp.create_order(&Actor::system(), &request).await.unwrap();
    app.press(KeyCode::F(3)).await;
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "Orders, newest first",
            "#1",
            "Consumidor final",
            "PENDING",
            "12.00",
            "s status filter",
        ],
    );
    app.press(KeyCode::Enter).await;
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "Order #1",
            "PENDING",
            "total 12.00",
            "BAG-REUSE",
            "Sacola retornável",
            "History",
            "c confirm",
            "Esc back",
        ],
    );
    // An operator may confirm but not cancel: the cancel key is offered, dimmed.
    assert!(screen.contains("x cancel order"));
    app.press(KeyCode::Char('c')).await;
    assert_shows(&app.screen(), &["Order #1 is now CONFIRMED.", "p pick"]);
    app.press(KeyCode::Char('x')).await;
    assert!(
        !app.screen().contains("Cancel order #1?"),
        "no confirmation offered to a role that may not cancel"
    );
}

#[tokio::test]
async fn products_customers_and_users_screens() {
    let erp = demo().await;
    let mut app = logged_in(&erp, "root", None).await;
    app.press(KeyCode::F(4)).await;
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "Products",
            "On hand",
            "Reservd",
            "Avail",
            "36 product(s)",
            "n new",
            "r stock in/adjust",
        ],
    );
    app.press(KeyCode::Char('l')).await;
    let screen = app.screen();
    assert_shows(&screen, &["[low stock only]", "SPONGE-4", "LOW"]);
    app.press(KeyCode::F(5)).await;
    assert_shows(
        &app.screen(),
        &[
            "Customers",
            "Ana Beatriz Souza",
            "390.533.447-05",
            "6 customer(s)",
        ],
    );
    app.press(KeyCode::F(6)).await;
    assert_shows(
        &app.screen(),
        &["Users", "root", "admin", "active", "n new user"],
    );
}

#[tokio::test]
async fn help_overlay_lists_every_key_of_the_screen_with_disabled_ones_marked() {
    let erp = demo().await;
    user(&erp, "viewer1", Role::Viewer).await;
    let mut app = logged_in(&erp, "viewer1", None).await;
    app.press(KeyCode::F(1)).await;
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "Keys: Sale",
            "F9",
            "pay (not available)",
            "F2",
            "sale",
            "F6",
            "users (not available)",
            "any key closes",
        ],
    );
    app.press(KeyCode::Char('z')).await;
    assert!(!app.screen().contains("Keys: Sale"));
    app.press(KeyCode::F(6)).await;
    assert_shows(&app.screen(), &["Only managers and admins manage users."]);
}

#[tokio::test]
async fn layout_follows_resizes_and_tiny_terminals_get_a_note() {
    let erp = demo().await;
    let mut app = logged_in(&erp, "root", None).await;
    app.resize(120, 40);
    let screen = app.screen();
    assert_eq!(screen.lines().count(), 40);
    assert!(screen.lines().all(|l| l.chars().count() == 120));
    assert_shows(&screen, &["Customer: Consumidor final", "F9 pay"]);
    app.resize(50, 10);
    assert_shows(&app.screen(), &["too small"]);
    app.resize(80, 24);
    assert_shows(&app.screen(), &["TOTAL 0.00"]);
}

#[tokio::test]
async fn random_keys_on_every_screen_never_panic() {
    let erp = demo().await;
    user(&erp, "oper", Role::Operator).await;
    let mut app = logged_in(&erp, "root", None).await;
    let keys = [
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::PageUp,
        KeyCode::F(1),
        KeyCode::F(2),
        KeyCode::F(3),
        KeyCode::F(4),
        KeyCode::F(5),
        KeyCode::F(6),
        KeyCode::F(7),
        KeyCode::F(8),
        KeyCode::F(9),
        KeyCode::Char('n'),
        KeyCode::Char('e'),
        KeyCode::Char('r'),
        KeyCode::Char('x'),
        KeyCode::Char('y'),
        KeyCode::Char('c'),
        KeyCode::Char('s'),
        KeyCode::Char('/'),
        KeyCode::Char('+'),
        KeyCode::Char('-'),
        KeyCode::Char('*'),
        KeyCode::Char('3'),
        KeyCode::Char('é'),
        KeyCode::Char('東'),
        KeyCode::Char('\''),
        KeyCode::Char('%'),
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for step in 0..1500 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let key = keys[(seed % keys.len() as u64) as usize];
        if key == KeyCode::Char('q') {
            continue;
        }
        app.press(key).await;
        if step % 7 == 0 {
            app.tick().await;
        }
        let _ = app.screen();
        assert!(!app.app.quit, "only q or Ctrl-C quit");
    }
    let found = erp.check_invariants(&Actor::system()).await.unwrap();
    assert!(found.is_empty(), "{found:?}");
    let _ = PASSWORD;
}

/// Starts the till at 80x24 in `lang` and logs in as root.
async fn logged_in_speaking(erp: &Erp, lang: erp_tui::i18n::Lang) -> Harness {
    let mut app = Harness::start(erp.clone(), None, 80, 24).await.unwrap();
    app.app.lang = lang;
    app.type_text("root").await;
    app.press(KeyCode::Enter).await;
    app.type_text(PASSWORD).await;
    app.press(KeyCode::Enter).await;
    let screen = app.screen();
    if screen.contains("Open the caixa") || screen.contains("Abrir o caixa") {
        app.type_text("100").await;
        app.press(KeyCode::Enter).await;
    }
    app
}

/// The manager's forms speak Portuguese too (catalogue, users, customers), a password typed in
/// one is masked whatever its label says, and a product is edited with Portuguese answers.
#[tokio::test]
async fn catalogue_user_and_customer_forms_speak_portuguese() {
    let erp = demo().await;
    let mut app = logged_in_speaking(&erp, erp_tui::i18n::Lang::PtBr).await;
    app.press(KeyCode::F(4)).await;
    assert_shows(
        &app.screen(),
        &[
            "Produtos", "Código", "Físico", "Reserv.", "Disp.", "produtos",
        ],
    );
    app.type_text("n").await;
    assert_shows(
        &app.screen(),
        &[
            "Novo produto",
            "Nome",
            "Preço",
            "Estoque inicial",
            "Estoque mínimo",
        ],
    );
    app.press(KeyCode::Esc).await;
    app.type_text("r").await;
    assert_shows(
        &app.screen(),
        &["Estoque de", "Tipo", "Quantidade", "Motivo", "entrada"],
    );
    app.press(KeyCode::Esc).await;
    app.type_text("e").await;
    assert_shows(&app.screen(), &["Editar", "Ativo (s/n)"]);
    app.press(KeyCode::Esc).await;

    app.press(KeyCode::F(6)).await;
    assert_shows(&app.screen(), &["Usuário", "Papel", "Desde"]);
    app.type_text("n").await;
    app.type_text("ana").await;
    app.press(KeyCode::Tab).await;
    app.type_text("segredo-da-ana").await;
    let screen = app.screen();
    assert_shows(&screen, &["Novo usuário", "Senha", "Papel"]);
    assert!(!screen.contains("segredo-da-ana"), "{screen}");
    app.press(KeyCode::Esc).await;

    app.press(KeyCode::F(5)).await;
    assert_shows(&app.screen(), &["Nome", "Telefone", "CPF / CNPJ"]);
    app.type_text("n").await;
    assert_shows(
        &app.screen(),
        &["Novo cliente", "Telefone e CPF/CNPJ são opcionais."],
    );
}

/// Issue 9, part 3: the sale, the orders and the help in Brazilian Portuguese with Brazilian money,
/// and a search that ignores accents.
#[tokio::test]
async fn the_till_speaks_portuguese_with_brazilian_money_at_80x24() {
    let erp = demo().await;
    let mut app = logged_in_speaking(&erp, erp_tui::i18n::Lang::PtBr).await;
    assert_shows(
        &app.screen(),
        &[
            "F2 Venda",
            "root (admin)",
            "Cliente: Consumidor final",
            "Buscar código/nome:",
            "Carrinho (vazio)",
            "0 itens",
            "F9 pagar",
            "F1 ajuda",
        ],
    );
    app.type_text("feijao").await;
    assert_shows(
        &app.screen(),
        &[
            "Feijão preto 1 kg",
            "Feijão carioca 1 kg",
            "R$ 8,49",
            "Código",
            "Preço",
        ],
    );
    app.press(KeyCode::Enter).await;
    app.type_text("50*RICE-5K").await;
    app.press(KeyCode::Enter).await;
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "Adicionado 50 × Arroz branco 5 kg.",
            "51 itens",
            "TOTAL R$ 1.403,49",
            "R$ 1.395,00",
        ],
    );
    app.type_text("xyzzy").await;
    assert_shows(&app.screen(), &["Nenhum produto corresponde a \"xyzzy\"."]);
    app.press(KeyCode::Esc).await;
    app.press(KeyCode::F(9)).await;
    app.type_text("1500").await;
    assert_shows(&app.screen(), &["TOTAL A PAGAR", "TROCO R$ 96,51"]);
    app.press(KeyCode::Enter).await;
    assert_shows(
        &app.screen(),
        &["Venda nº 1: 51 itens, total R$ 1.403,49, troco R$ 96,51."],
    );
    app.press(KeyCode::Enter).await;
    app.press(KeyCode::F(3)).await;
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "Pedidos, mais novos primeiro",
            "Situação: todos",
            "(1 pedido)",
            "ENTREGUE",
            "R$ 1.403,49",
            "Feito em",
        ],
    );
    app.press(KeyCode::Enter).await;
    assert_shows(
        &app.screen(),
        &[
            "Pedido nº 1",
            "total R$ 1.403,49",
            "Próximo: nenhum (final)",
            "Histórico",
            "Linhas (2)",
        ],
    );
    app.press(KeyCode::F(1)).await;
    assert_shows(&app.screen(), &["Teclas: Pedido", "voltar"]);
}

#[tokio::test]
async fn the_same_sale_in_english_keeps_its_words_and_plain_money() {
    let erp = demo().await;
    let mut app = logged_in_speaking(&erp, erp_tui::i18n::Lang::En).await;
    app.type_text("feijao").await;
    assert_shows(
        &app.screen(),
        &["Feijão preto 1 kg", "8.49", "Search SKU/name: feijao"],
    );
    app.press(KeyCode::Enter).await;
    app.type_text("50*RICE-5K").await;
    app.press(KeyCode::Enter).await;
    let screen = app.screen();
    assert_shows(&screen, &["51 item(s)", "TOTAL 1403.49", "F9 pay"]);
    assert!(!screen.contains("R$"), "{screen}");
}

#[tokio::test]
async fn an_idle_till_locks_and_quitting_asks_in_portuguese() {
    let erp = demo().await;
    let mut app = logged_in_speaking(&erp, erp_tui::i18n::Lang::PtBr).await;
    app.type_text("SALT-1K").await;
    app.press(KeyCode::Enter).await;
    app.press(KeyCode::Tab).await;
    app.press(KeyCode::Char('q')).await;
    assert_shows(
        &app.screen(),
        &["Há uma venda em andamento (1 item). Fechar?", "y: fechar"],
    );
    app.press(KeyCode::Char('n')).await;
    app.app.lock_after = 2;
    app.tick().await;
    app.tick().await;
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "Bloqueado após 1 min sem uso: root, digite sua senha.",
            "Usuário:",
            "Senha:",
        ],
    );
    assert!(!screen.contains("SALT-1K"), "{screen}");
}

/// Issue 9, part 2: the payment dialog, the receipt and the caixa's close at 80x24, in both
/// languages. Every footer ends with its help key, so none runs past 80 columns.
#[tokio::test]
async fn checkout_and_caixa_close_at_80x24_in_portuguese_and_english() {
    use erp_tui::i18n::Lang;
    struct Words {
        lang: Lang,
        dialog: &'static [&'static str],
        receipt: &'static [&'static str],
        count: &'static [&'static str],
        z: &'static [&'static str],
        help: &'static str,
    }
    let cases = [
        Words {
            lang: Lang::En,
            dialog: &[
                "Payment",
                "TOTAL DUE",
                "37.40",
                "Cash:",
                "CHANGE 12.60",
                "c cash",
                "p PIX",
            ],
            receipt: &[
                "Receipt, sale #1",
                "NOT A FISCAL DOCUMENT",
                "Enter next sale",
            ],
            count: &["Close the caixa: blind count", "Cash:", "PIX:"],
            z: &[
                "Z REPORT",
                "Cash expected",
                "Cash counted",
                "SHORT",
                "-0.50",
            ],
            help: "F1 help",
        },
        Words {
            lang: Lang::PtBr,
            dialog: &[
                "Pagamento",
                "TOTAL A PAGAR",
                "R$ 37,40",
                "Dinheiro:",
                "TROCO R$ 12,60",
                "c dinheiro",
                "p PIX",
            ],
            receipt: &[
                "Cupom, venda nº 1",
                "NÃO É DOCUMENTO FISCAL",
                "Enter próxima venda",
            ],
            count: &["Fechar o caixa: contagem cega", "Dinheiro:", "PIX:"],
            z: &[
                "REDUÇÃO Z",
                "Dinheiro esperado",
                "Dinheiro contado",
                "FALTA",
                "-R$ 0,50",
            ],
            help: "F1 ajuda",
        },
    ];
    for words in cases {
        let erp = demo().await;
        let mut app = logged_in_speaking(&erp, words.lang).await;
        // 4.00 + 16.40 + 17.00 = 37.40
        for sku in ["BAG-REUSE", "TEA-MATE-500", "BRD-LOAF"] {
            app.type_text(sku).await;
            app.press(KeyCode::Enter).await;
        }
        app.press(KeyCode::F(9)).await;
        app.type_text("50").await;
        let screen = app.screen();
        assert_shows(&screen, words.dialog);
        assert_shows(&screen, &[words.help]);
        app.press(KeyCode::Enter).await;
        let screen = app.screen();
        assert_shows(&screen, words.receipt);
        assert_shows(&screen, &[words.help]);
        app.press(KeyCode::Enter).await;
        // A second sale by PIX, then the close: 100 float + 50 - 12.60 change = 137.40 in cash.
        app.type_text("SALT-1K").await;
        app.press(KeyCode::Enter).await;
        app.press(KeyCode::F(9)).await;
        app.press(KeyCode::Char('p')).await;
        app.press(KeyCode::Enter).await;
        app.press(KeyCode::Enter).await;
        app.press(KeyCode::F(12)).await;
        app.press(KeyCode::Char('f')).await;
        let screen = app.screen();
        assert_shows(&screen, words.count);
        assert!(
            !screen.contains("137"),
            "a blind count shows no figure:\n{screen}"
        );
        app.type_text("136,90").await;
        app.press(KeyCode::Enter).await;
        app.type_text("3,19").await;
        app.press(KeyCode::Enter).await;
        let screen = app.screen();
        assert_shows(&screen, words.z);
        assert_shows(&screen, &[words.help]);
    }
}

/// A sale sent without a known answer, at 80x24 in both languages: the cart says so in its title,
/// the footer offers only sending it again and a manager's void, and a change is refused aloud.
#[tokio::test]
async fn a_frozen_sale_at_80x24_in_portuguese_and_english() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    use erp_tui::i18n::Lang;
    use erp_tui::msg::Msg;
    let cases = [
        (
            Lang::En,
            [
                "Payment sent, no answer yet: F9 sends the same sale again",
                "F9 send again",
                "^X void (manager)",
                "F1 help",
            ],
            "Payment sent, no answer: no changes.",
            ["No sure answer", "Enter send again"],
        ),
        (
            Lang::PtBr,
            [
                "Pagamento enviado sem resposta: F9 reenvia a mesma venda",
                "F9 reenvia",
                "^X anula (gerente)",
                "F1 ajuda",
            ],
            "Pagamento enviado sem resposta: nada muda.",
            ["Sem resposta certa", "Enter reenvia"],
        ),
    ];
    for (lang, cart, refused, dialog) in cases {
        let erp = demo().await;
        let mut app = logged_in_speaking(&erp, lang).await;
        app.type_text("SALT-1K").await;
        app.press(KeyCode::Enter).await;
        app.press(KeyCode::F(9)).await;
        let sale: Vec<_> = app
            .app
            .update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)))
            .into_iter()
            .filter(|t| t.label == "making the sale")
            .collect();
        assert_eq!(sale.len(), 1);
        let key = app.app.sale.cart.key.clone().unwrap();
        let lost = erp_core::Error::Unavailable {
            message: "timed out".into(),
        };
        app.send(Msg::Sold(key, Err(lost))).await;
        assert_shows(&app.screen(), &dialog);
        app.press(KeyCode::Esc).await;
        assert_shows(&app.screen(), &cart);
        app.press(KeyCode::F(8)).await;
        assert_shows(&app.screen(), &[refused]);
    }
}

/// The return from an order's detail at 80x24 in both languages: the lines with what may still
/// come back, the refund dialog, and the return receipt; every footer fits with its help key.
#[tokio::test]
async fn a_return_at_80x24_in_portuguese_and_english() {
    use erp_tui::i18n::Lang;
    let cases = [
        (
            Lang::En,
            [
                "Return from order #1",
                "Sold",
                "Left",
                "Back",
                "back to stock",
                "w write off",
                "F1 help",
            ],
            ["Refund", "TO REFUND", "3.19", "Enter refund", "F1 help"],
            [
                "Return #1 of order #1: refunded 3.19.",
                "Return #1",
                "Enter back",
                "F1 help",
            ],
        ),
        (
            Lang::PtBr,
            [
                "Devolução do pedido nº 1",
                "Vend.",
                "Rest.",
                "Volta",
                "volta ao estoque",
                "w baixa",
                "F1 ajuda",
            ],
            [
                "Reembolso",
                "A DEVOLVER",
                "R$ 3,19",
                "Enter devolve",
                "F1 ajuda",
            ],
            [
                "Devolução nº 1 do pedido nº 1: reembolso de R$ 3,19.",
                "Devolução nº 1",
                "Enter voltar",
                "F1 ajuda",
            ],
        ),
    ];
    for (lang, lines, refund, receipt) in cases {
        let erp = demo().await;
        let mut app = logged_in_speaking(&erp, lang).await;
        app.type_text("2*SALT-1K").await;
        app.press(KeyCode::Enter).await;
        app.press(KeyCode::F(9)).await;
        app.press(KeyCode::Enter).await;
        app.press(KeyCode::Enter).await;
        app.press(KeyCode::F(3)).await;
        app.press(KeyCode::Enter).await;
        app.press(KeyCode::Char('r')).await;
        app.press(KeyCode::Char('+')).await;
        assert_shows(&app.screen(), &lines);
        app.press(KeyCode::Enter).await;
        assert_shows(&app.screen(), &refund);
        app.press(KeyCode::Enter).await;
        assert_shows(&app.screen(), &receipt);
    }
}

/// Review of the checkout: at 80x24 every key of the sale and the cart is in the footer (on a
/// second line when one is not enough), cart lines show their discount and another price, and
/// the Z report is named once.
#[tokio::test]
async fn footers_fit_cart_lines_show_discounts_and_the_z_report_is_named_once() {
    use erp_tui::i18n::Lang;
    let cases = [
        (
            Lang::En,
            ["Esc clear", "F11 sale discount", "F7 new", "F1 help"],
            ["F8 customer", "F12 caixa", "% discount/price", "F1 help"],
            ["-10%", "*15.00"],
            "Z REPORT",
        ),
        (
            Lang::PtBr,
            ["Esc limpa", "F11 desconto na venda", "F7 novo", "F1 ajuda"],
            ["F8 cliente", "F12 caixa", "% desconto/preço", "F1 ajuda"],
            ["-10%", "*R$ 15,00"],
            "REDUÇÃO Z",
        ),
    ];
    for (lang, search, cart, line, z) in cases {
        let erp = demo().await;
        let mut app = logged_in_speaking(&erp, lang).await;
        app.type_text("TEA-MATE-500").await;
        app.press(KeyCode::Enter).await;
        app.type_text("SALT-1K").await;
        app.press(KeyCode::Enter).await;
        assert_shows(&app.screen(), &search);
        app.press(KeyCode::Tab).await;
        assert_shows(&app.screen(), &cart);
        // 10 % off the salt; the mate at 15.00 instead of 16.40.
        app.press(KeyCode::Char('%')).await;
        app.type_text("10%").await;
        app.press(KeyCode::Enter).await;
        app.press(KeyCode::Enter).await;
        app.press(KeyCode::Up).await;
        app.press(KeyCode::Char('%')).await;
        app.press(KeyCode::Enter).await;
        for _ in 0..8 {
            app.press(KeyCode::Backspace).await;
        }
        app.type_text("15,00").await;
        app.press(KeyCode::Enter).await;
        assert_shows(&app.screen(), &line);
        // Close the caixa with nothing sold: the Z report.
        app.press(KeyCode::Delete).await;
        app.press(KeyCode::Delete).await;
        app.press(KeyCode::F(12)).await;
        app.press(KeyCode::Char('f')).await;
        app.type_text("100").await;
        app.press(KeyCode::Enter).await;
        let screen = app.screen();
        assert_eq!(screen.matches(z).count(), 1, "{screen}");
    }
}

/// Parking and recalling at 80x24 in both languages: the keys in the footer, the label form and
/// the list of parked sales.
#[tokio::test]
async fn park_and_recall_at_80x24_in_portuguese_and_english() {
    use erp_tui::i18n::Lang;
    let cases = [
        (
            Lang::En,
            ["^P park", "^R recall", "F1 help"],
            ["Park the sale", "Label:"],
            ["Parked sales", "Label", "Items", "mesa 4", "Enter recall"],
        ),
        (
            Lang::PtBr,
            ["^P suspende", "^R recupera", "F1 ajuda"],
            ["Suspender a venda", "Nome:"],
            [
                "Vendas suspensas",
                "Nome",
                "Itens",
                "mesa 4",
                "Enter recupera",
            ],
        ),
    ];
    for (lang, footer, form, list) in cases {
        let erp = demo().await;
        let mut app = logged_in_speaking(&erp, lang).await;
        app.type_text("SALT-1K").await;
        app.press(KeyCode::Enter).await;
        assert_shows(&app.screen(), &footer);
        app.ctrl('p').await;
        assert_shows(&app.screen(), &form);
        app.type_text("mesa 4").await;
        app.press(KeyCode::Enter).await;
        app.ctrl('r').await;
        assert_shows(&app.screen(), &list);
    }
}

/// A sangria without a sure answer, in Portuguese: the close names it in reais, and `s` brings it
/// back filled in as a Brazilian cashier types money, ready to be sent again under its key.
#[tokio::test]
async fn an_unanswered_sangria_comes_back_filled_in_in_portuguese() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    let erp = demo().await;
    let mut app = logged_in_speaking(&erp, erp_tui::i18n::Lang::PtBr).await;
    app.press(KeyCode::F(12)).await;
    app.type_text("s").await;
    app.type_text("1.234,5").await;
    app.press(KeyCode::Enter).await;
    app.type_text("troco").await;
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    let unheard = app.app.update(erp_tui::msg::Msg::Key(enter));
    assert!(!unheard.is_empty(), "the sangria was asked for");
    drop(unheard);
    app.send(erp_tui::msg::Msg::CashMoved(Err(
        erp_core::Error::OutcomeUnknown {
            message: "connection lost after COMMIT".into(),
        },
    )))
    .await;
    assert_shows(&app.screen(), &["Sem resposta certa: repita"]);
    app.press(KeyCode::F(12)).await;
    app.type_text("f").await;
    assert_shows(
        &app.screen(),
        &["Antes de fechar, reenvie (F12) a movimentação sem resposta: R$ 1.234,50 (troco)."],
    );
    app.press(KeyCode::Esc).await;
    app.press(KeyCode::F(12)).await;
    app.type_text("s").await;
    assert_shows(
        &app.screen(),
        &[
            "Sangria",
            "1234,50",
            "troco",
            "Esta movimentação ficou sem resposta certa: Enter a envia de",
            "novo; ela não se duplica.",
        ],
    );
}

/// Times on the till's screens are on the shop's clock (its settings' offset, as its receipts
/// print them), not on this machine's: the caixa says when its session opened in shop time.
#[tokio::test]
async fn the_till_shows_times_on_the_shops_clock() {
    let erp = demo().await;
    let system = Actor::system();
    let mut shop = erp.shop_settings(&system).await.unwrap();
    // UTC+05:30: no test machine's own zone is likely to give the same figures.
    shop.utc_offset_minutes = 330;
    erp.update_shop_settings(&system, &shop).await.unwrap();
    let mut app = logged_in(&erp, "root", None).await;
    let opened = app.app.sale.till.as_ref().unwrap().session.clone().unwrap();
    let zone = chrono::FixedOffset::east_opt(330 * 60).unwrap();
    let shop_time = opened
        .opened_at
        .with_timezone(&zone)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    app.press(KeyCode::F(12)).await;
    assert_shows(&app.screen(), &[&format!("open since {shop_time}")]);
}
