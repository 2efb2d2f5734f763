// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title BasicPayments: a pooled escrow. Anyone deposits; only the owner pays out.
contract BasicPayments {
    address public owner;

    /// Total deposited by each sender.
    mapping(address => uint256) public sentPayments;

    event DepositMade(address indexed sender, uint256 amount);
    event PaymentMade(address indexed receiver, uint256 amount);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    modifier onlyOwner() {
        require(msg.sender == owner, "caller is not the owner");
        _;
    }

    constructor() {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    function deposit() external payable {
        _deposit(msg.sender, msg.value);
    }

    receive() external payable {
        _deposit(msg.sender, msg.value);
    }

    function sendPayment(address payable receiver, uint256 amount) external onlyOwner {
        require(amount > 0, "cannot send 0 weis");
        require(address(this).balance >= amount, "not enough balance");
        emit PaymentMade(receiver, amount);
        (bool success, ) = receiver.call{value: amount}("");
        require(success, "payment failed");
    }

    function transferOwnership(address newOwner) external onlyOwner {
        require(newOwner != address(0), "new owner is the zero address");
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    function _deposit(address sender, uint256 amount) private {
        require(amount > 0, "did not send any value");
        sentPayments[sender] += amount;
        emit DepositMade(sender, amount);
    }
}
