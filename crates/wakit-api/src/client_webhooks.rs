//! [`Client`] calls of the outbound webhook routes (admin or owner key).

use crate::{
    Answer, Client, ClientError, DeliveriesResponse, DeliveryView, NewWebhookBody, RecoverBody,
    RecoverResponse, WebhookView, WebhooksResponse,
};

impl Client {
    /// `GET /webhooks`.
    pub async fn webhooks(&self) -> Result<Answer<WebhooksResponse>, ClientError> {
        self.get("/webhooks", &()).await
    }
    /// `POST /webhooks` (the answer carries the secret, once).
    pub async fn create_webhook(
        &self,
        body: &NewWebhookBody,
    ) -> Result<Answer<WebhookView>, ClientError> {
        self.post("/webhooks", body, None).await
    }
    /// `DELETE /webhooks/{id}`.
    pub async fn delete_webhook(&self, id: &str) -> Result<Answer<()>, ClientError> {
        self.delete(&format!("/webhooks/{id}")).await
    }
    /// `POST /webhooks/{id}/test`.
    pub async fn test_webhook(&self, id: &str) -> Result<Answer<DeliveryView>, ClientError> {
        self.post(&format!("/webhooks/{id}/test"), &(), None).await
    }
    /// `GET /webhooks/{id}/deliveries`.
    pub async fn webhook_deliveries(
        &self,
        id: &str,
    ) -> Result<Answer<DeliveriesResponse>, ClientError> {
        self.get(&format!("/webhooks/{id}/deliveries"), &()).await
    }
    /// `POST /deliveries/{id}/retry`.
    pub async fn retry_delivery(&self, id: &str) -> Result<Answer<DeliveryView>, ClientError> {
        self.post(&format!("/deliveries/{id}/retry"), &(), None)
            .await
    }
    /// `POST /webhooks/{id}/recover`.
    pub async fn recover_webhook(
        &self,
        id: &str,
        body: &RecoverBody,
    ) -> Result<Answer<RecoverResponse>, ClientError> {
        self.post(&format!("/webhooks/{id}/recover"), body, None)
            .await
    }
}
