//! Protected resources in the model.

use super::MemoryStore;
use crate::store::*;

#[async_trait]
impl ResourceStore for MemoryStore {
    async fn put_resource(&self, resource: &Resource) -> StoreResult<()> {
        let mut state = self.state();
        let created_at = state
            .resources
            .get(&resource.identifier)
            .map_or(resource.created_at, |r| r.created_at);
        let kept = Resource {
            created_at,
            ..resource.clone()
        };
        state.resources.insert(resource.identifier.clone(), kept);
        Ok(())
    }

    async fn resource(&self, identifier: &str) -> StoreResult<Option<Resource>> {
        Ok(self.state().resources.get(identifier).cloned())
    }

    async fn list_resources(&self) -> StoreResult<Vec<Resource>> {
        Ok(self.state().resources.values().cloned().collect())
    }

    async fn delete_resource(&self, identifier: &str) -> StoreResult<bool> {
        Ok(self.state().resources.remove(identifier).is_some())
    }
}
