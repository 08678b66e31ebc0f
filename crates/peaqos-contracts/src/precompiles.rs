//! ABI of the peaq chain precompiles, exactly as the real node exposes them.
//!
//! * DID registry at `0x…0800` (camelCase and snake_case selectors, events as the node emits them)
//! * Batch at `0x…0805`
//! * the native-balance ERC-20 ("WPEAQ") at `0x…0809`
#![allow(clippy::too_many_arguments)]

alloy::sol! {
    /// The peaq DID precompile (`0x0000000000000000000000000000000000000800`).
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    interface DidRegistry {
        /// One stored attribute. `validity` is in blocks (`u32::MAX` = never expires),
        /// `created` is the block time in milliseconds.
        struct Attribute { bytes name; bytes value; uint32 validity; uint256 created; }

        function readAttribute(address did_account, bytes name) external view returns (Attribute memory);
        function addAttribute(address did_account, bytes name, bytes value, uint32 validity_for) external returns (bool);
        function updateAttribute(address did_account, bytes name, bytes value, uint32 validity_for) external returns (bool);
        function removeAttribute(address did_account, bytes name) external returns (bool);

        function read_attribute(address did_account, bytes name) external view returns (Attribute memory);
        function add_attribute(address did_account, bytes name, bytes value, uint32 validity_for) external returns (bool);
        function update_attribute(address did_account, bytes name, bytes value, uint32 validity_for) external returns (bool);
        function remove_attribute(address did_account, bytes name) external returns (bool);

        event AddAttribute(address sender, address did_account, bytes name, bytes value, uint32 validity);
        event UpdateAttribute(address sender, address did_account, bytes name, bytes value, uint32 validity);
        /// Spelled as the node spells it.
        event RemoveAttribte(address did_account, bytes name);
    }

    /// The peaq Batch precompile (`0x0000000000000000000000000000000000000805`).
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    interface Batch {
        function batchSome(address[] to, uint256[] value, bytes[] callData, uint64[] gasLimit) external;
        function batchSomeUntilFailure(address[] to, uint256[] value, bytes[] callData, uint64[] gasLimit) external;
        function batchAll(address[] to, uint256[] value, bytes[] callData, uint64[] gasLimit) external;

        event SubcallSucceeded(uint256 index);
        event SubcallFailed(uint256 index);
    }

    /// The native balance exposed as an ERC-20 (`0x0000000000000000000000000000000000000809`).
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    interface NativeErc20 {
        function name() external view returns (string);
        function symbol() external view returns (string);
        function decimals() external view returns (uint8);
        function balanceOf(address owner) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function approve(address spender, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
        function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;
        function nonces(address owner) external view returns (uint256);
        function DOMAIN_SEPARATOR() external view returns (bytes32);
        function deposit() external payable;
        function withdraw(uint256 value) external;

        event Transfer(address indexed from, address indexed to, uint256 value);
        event Approval(address indexed owner, address indexed spender, uint256 value);
        event Deposit(address indexed dst, uint256 wad);
        event Withdrawal(address indexed src, uint256 wad);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::sol_types::SolCall;

    #[test]
    fn selectors_match_the_node() {
        assert_eq!(
            DidRegistry::readAttributeCall::SELECTOR,
            [0xb2, 0x02, 0x8b, 0x7d]
        );
        assert_eq!(
            DidRegistry::addAttributeCall::SELECTOR,
            [0xcc, 0x4a, 0x70, 0xca]
        );
        assert_eq!(
            DidRegistry::updateAttributeCall::SELECTOR,
            [0x68, 0xb4, 0xb2, 0xc1]
        );
        assert_eq!(
            DidRegistry::removeAttributeCall::SELECTOR,
            [0xe8, 0xa8, 0x16, 0x90]
        );
        assert_eq!(
            DidRegistry::read_attributeCall::SELECTOR,
            [0x52, 0x8b, 0xcb, 0x4c]
        );
        assert_eq!(
            DidRegistry::add_attributeCall::SELECTOR,
            [0xf8, 0x62, 0xda, 0x44]
        );
        assert_eq!(
            DidRegistry::update_attributeCall::SELECTOR,
            [0x61, 0x28, 0x82, 0x15]
        );
        assert_eq!(
            DidRegistry::remove_attributeCall::SELECTOR,
            [0xb2, 0xf2, 0xf2, 0x0d]
        );
        assert_eq!(Batch::batchSomeCall::SELECTOR, [0x79, 0xdf, 0x4b, 0x9c]);
        assert_eq!(
            Batch::batchSomeUntilFailureCall::SELECTOR,
            [0xcf, 0x04, 0x91, 0xc7]
        );
        assert_eq!(Batch::batchAllCall::SELECTOR, [0x96, 0xe2, 0x92, 0xb8]);
    }
}
