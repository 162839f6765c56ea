//! `locker users`: add and list accounts. Passwords are read without echo (or from stdin
//! with `--password-stdin`), hashed with argon2id, and never printed.

use std::io::BufRead as _;

use anyhow::Context as _;
use locker_core::domain::{NewUser, Role, User};
use locker_core::ports::{Page, UserFilter};
use locker_core::token::password::Passwords;

use crate::output::{Global, table};

/// Subcommands of `locker users`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create an account (asks for the password unless `--no-password`).
    Add(AddArgs),
    /// List accounts.
    List(ListArgs),
    /// Lift an account's lockout after repeated wrong passwords (and forget its backoff).
    Unlock(UnlockArgs),
}

/// Arguments of `locker users unlock`.
#[derive(Debug, clap::Args)]
pub struct UnlockArgs {
    /// The account's e-mail, phone or username.
    pub login: String,
}

/// Arguments of `locker users add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// E-mail address (unique).
    #[arg(long)]
    pub email: Option<String>,
    /// Phone number (unique).
    #[arg(long)]
    pub phone: Option<String>,
    /// Login name (unique).
    #[arg(long)]
    pub username: Option<String>,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Role: admin, technician or customer.
    #[arg(long, default_value = "customer")]
    pub role: Role,
    /// Read the password from the first line of stdin instead of the terminal.
    #[arg(long, conflicts_with = "no_password")]
    pub password_stdin: bool,
    /// Create an account without a password (OTP login only).
    #[arg(long)]
    pub no_password: bool,
}

/// Arguments of `locker users list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only this role.
    #[arg(long)]
    pub role: Option<Role>,
    /// Page number (from 1).
    #[arg(long, default_value_t = 1)]
    pub page: u32,
    /// Accounts per page.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
}

/// Runs `locker users`.
pub fn run(global: &Global, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Add(args) => add(global, args),
        Command::List(args) => list(global, &args),
        Command::Unlock(args) => unlock(global, &args),
    }
}

/// Finds the account by e-mail, then phone, then username, and clears its failures.
fn unlock(global: &Global, args: &UnlockArgs) -> anyhow::Result<()> {
    let (user, had) = global.block_on(async {
        let store = locker_core::store::open(&global.db).await.context("Cannot open the database")?;
        let login = args.login.trim();
        let mut found = store.get_user_by_email(&login.to_lowercase()).await;
        if matches!(found, Err(locker_core::Error::NotFound { .. })) {
            found = store.get_user_by_phone(login).await;
        }
        if matches!(found, Err(locker_core::Error::NotFound { .. })) {
            found = store.get_user_by_username(login).await;
        }
        let user = found.with_context(|| format!("No account {login:?}"))?;
        let had = locker_server::credentials::unlock(store.as_ref(), user.id).await?;
        anyhow::Ok((user, had))
    })?;
    if global.json {
        return global.print_json(&serde_json::json!({ "id": user.id, "unlocked": had }));
    }
    match had {
        true => println!("unlocked {} ({})", user.id, login_name(&user)),
        false => println!("{} ({}) had no failed logins on record", user.id, login_name(&user)),
    }
    Ok(())
}

fn read_password(args: &AddArgs) -> anyhow::Result<String> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("Cannot read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ").context("Cannot read the password from the terminal")?;
        let again = rpassword::prompt_password("Again: ").context("Cannot read the password from the terminal")?;
        anyhow::ensure!(first == again, "The passwords do not match");
        first
    };
    anyhow::ensure!(password.chars().count() >= 8, "The password must have at least 8 characters");
    Ok(password)
}

fn add(global: &Global, args: AddArgs) -> anyhow::Result<()> {
    let password_hash = if args.no_password {
        String::new()
    } else {
        let password = read_password(&args)?;
        Passwords::with_concurrency(1)?.hash(&password)?
    };
    let new = NewUser {
        email: args.email,
        phone: args.phone,
        username: args.username,
        full_name: args.name,
        role: args.role,
        password_hash,
    };
    let user = global.block_on(async {
        let store = locker_core::store::open(&global.db).await.context("Cannot open the database")?;
        anyhow::Ok(store.create_user(new, chrono::Utc::now()).await?)
    })?;
    if global.json {
        return global.print_json(&user);
    }
    println!("created {} {} ({})", user.role, user.id, login_name(&user));
    Ok(())
}

fn list(global: &Global, args: &ListArgs) -> anyhow::Result<()> {
    let filter = UserFilter { role: args.role, active: None };
    let page = Page::new(args.page, args.limit)?;
    let users = global.block_on(async {
        let store = locker_core::store::open(&global.db).await.context("Cannot open the database")?;
        anyhow::Ok(store.list_users(&filter, page).await?)
    })?;
    if global.json {
        return global.print_json(&users);
    }
    let mut t = table(&["id", "login", "name", "role", "active", "password"]);
    for u in &users.items {
        let password = if u.password_hash.is_empty() { "no" } else { "yes" };
        t.add_row([
            u.id.to_string(),
            login_name(u),
            u.full_name.clone(),
            u.role.to_string(),
            u.active.to_string(),
            password.into(),
        ]);
    }
    println!("{t}");
    println!("{} of {} accounts", users.items.len(), users.total);
    Ok(())
}

fn login_name(u: &User) -> String {
    u.email.clone().or_else(|| u.username.clone()).or_else(|| u.phone.clone()).unwrap_or_default()
}
