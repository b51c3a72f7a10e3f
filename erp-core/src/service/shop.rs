//! The shop's own settings: what every receipt prints about it.

use super::{Attempt, Erp, no_unique, store_error};
use crate::Actor;
use crate::domain::{Permission, ShopSettings};
use crate::error::Result;
use crate::events::DomainEvent;

impl Erp {
    /// The shop's settings: [`ShopSettings::unconfigured`] until an admin sets them. Anyone
    /// signed in may read them (every till prints them).
    pub async fn shop_settings(&self, actor: &Actor) -> Result<ShopSettings> {
        actor.require(Permission::Read)?;
        self.store.shop_settings().await.map_err(store_error)
    }

    /// Replaces the shop's settings (admins only: the name and CNPJ are the shop's legal
    /// identity on every receipt). Receipts printed afterwards, reprints included, show the new
    /// header.
    pub async fn update_shop_settings(
        &self,
        actor: &Actor,
        settings: &ShopSettings,
    ) -> Result<ShopSettings> {
        // The fields are public: settings built by hand pass the same checks as parsed ones.
        let settings = &ShopSettings::new(
            settings.name.clone(),
            settings.tax_id.clone(),
            settings.address.clone(),
            settings.phone.clone(),
            settings.footer.clone(),
            settings.utc_offset_minutes,
        )?;
        self.run(|| self.try_update_shop(actor, settings), no_unique)
            .await
    }

    async fn try_update_shop(
        &self,
        actor: &Actor,
        settings: &ShopSettings,
    ) -> Attempt<ShopSettings> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::ConfigureShop))
            .await?;
        let now = self.now();
        tx.update_shop_settings(settings, actor.user_id(), now)
            .await?;
        let event = DomainEvent::ShopSettingsChanged {
            name: settings.name.to_string(),
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.commit().await?;
        Ok(settings.clone())
    }
}
