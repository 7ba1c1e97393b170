//! Finding the client a request names: one registered here, or one that
//! describes itself in a Client ID Metadata Document (its client_id an
//! https URL; `registration::metadata_document`), fetched through the
//! SSRF-guarded fetcher and kept in the store, so that its grants have a
//! client row like any other (a token of a missing client is dead).

use super::registration::metadata_document::{is_metadata_document_id, MetadataDocumentFetcher};
use super::registration::RegistrationPolicy;
use super::{OAuthError, Provider};
use crate::store::{Client, TokenKey, TokenRecord};

/// Client ID Metadata Documents, when the operator accepts them.
pub struct MetadataDocuments {
    pub fetcher: MetadataDocumentFetcher,
    /// The scopes such clients may hold: those open to self-registration.
    pub scopes: Vec<String>,
    /// `--insecure-http`, for their redirect URIs.
    pub insecure_http: bool,
}

/// The client `client_id` names, if any. A metadata document that cannot
/// be fetched or is invalid is `invalid_client` (too many fetches at once:
/// `temporarily_unavailable`).
pub async fn find(provider: &Provider, client_id: &str) -> Result<Option<Client>, OAuthError> {
    let documents = provider
        .metadata_documents
        .as_deref()
        .filter(|_| is_metadata_document_id(client_id));
    let Some(documents) = documents else {
        return Ok(provider.store.client(client_id).await?);
    };
    let policy = RegistrationPolicy {
        scopes_supported: &documents.scopes,
        insecure_http: documents.insecure_http,
    };
    let client = documents.fetcher.client(client_id, &policy).await?;
    keep(provider, &client).await?;
    Ok(Some(client))
}

/// The client `client_id` names and the token `key`, read together (one
/// statement on PostgreSQL): what introspection needs.
pub async fn find_with_token(
    provider: &Provider,
    client_id: &str,
    key: &TokenKey,
) -> Result<(Option<Client>, Option<TokenRecord>), OAuthError> {
    if provider.metadata_documents.is_some() && is_metadata_document_id(client_id) {
        let client = find(provider, client_id).await?;
        return Ok((client, provider.store.token(key).await?));
    }
    Ok(
        match provider.store.client_with_token(client_id, key).await? {
            Some((client, token)) => (Some(client), token),
            None => (None, None),
        },
    )
}

/// Stores the document's client, or what changed of it since it was
/// stored: its tokens then follow the document as it is now.
async fn keep(provider: &Provider, client: &Client) -> Result<(), OAuthError> {
    let store = provider.store.as_ref();
    match store.client(&client.client_id).await? {
        None => match store.create_client(client).await {
            // Another request stored it first.
            Err(crate::store::StoreError::Conflict) => Ok(()),
            other => Ok(other?),
        },
        Some(stored) if !same_metadata(&stored, client) => {
            store.update_client(client).await?;
            Ok(())
        }
        Some(_) => Ok(()),
    }
}

/// What a document says of its client, compared.
fn same_metadata(stored: &Client, fetched: &Client) -> bool {
    stored.client_name == fetched.client_name
        && stored.client_uri == fetched.client_uri
        && stored.redirect_uris == fetched.redirect_uris
        && stored.post_logout_redirect_uris == fetched.post_logout_redirect_uris
        && stored.grant_types == fetched.grant_types
        && stored.response_types == fetched.response_types
        && stored.scope == fetched.scope
        && stored.token_endpoint_auth_method == fetched.token_endpoint_auth_method
}
