#!/usr/bin/perl
# Back-office API scenario with Perl's Frontier::Client (Debian's
# libfrontier-rpc-perl), as Freeside's own example scripts call it: flat
# key/value lists, numbers typed by the client as it pleases.
# Usage: backoffice.pl URL SECRET
use strict;
use warnings;
use Frontier::Client;

my ($url, $secret) = @ARGV;
my $client = Frontier::Client->new(url => $url);
my $step = 0;

sub check {
    my ($label, $got, $want) = @_;
    $step++;
    $got = '<undef>' unless defined $got;
    die "step $step $label: got '$got', want '$want'\n" unless $got eq $want;
    print "ok $step $label\n";
}

my $denied = $client->call('FS.API.customer_info', secret => 'wrong', custnum => 1);
check('wrong secret', $denied->{error}, 'Incorrect shared secret');

my $new = $client->call('FS.API.new_customer',
    secret => $secret, agentnum => 1, refnum => 1, first => 'Perl', last => 'Monger',
    address1 => '1 Camel Way', city => 'Tofutown', state => 'CA', zip => '01234', country => 'US',
    daytime => '3125550001', invoicing_list => 'perl@example.com, monger@example.com',
    payby => 'BILL');
check('new_customer', $new->{error}, '');
my $custnum = $new->{custnum};

my $info = $client->call('FS.API.customer_info', secret => $secret, custnum => $custnum);
check('name', $info->{name}, 'Perl Monger');
check('zip keeps its zero', $info->{zip}, '01234');
check('daytime', $info->{daytime}, '312-555-0001');
check('invoicing list', $info->{invoicing_list}, 'monger@example.com, perl@example.com');
check('members', scalar(keys %$info), 35);

my $paid = $client->call('FS.API.insert_payment',
    secret => $secret, custnum => $custnum, payby => 'CASH', paid => 54.32, _date => 1397977200);
check('insert_payment', $paid->{error}, '');
check('paynum is a number', ($paid->{paynum} =~ /^\d+$/ ? 1 : 0), 1);
my $bad = $client->call('FS.API.insert_payment', secret => $secret, custnum => $custnum, payby => 'CASH', paid => 0);
check('zero payment', $bad->{error}, 'paid must be > 0 ');
check('balance', $client->call('FS.API.customer_info', secret => $secret, custnum => $custnum)->{balance}, '-54.32');

my $order = $client->call('FS.API.order_package', secret => $secret, custnum => $custnum, pkgpart => 1);
check('order_package', $order->{error}, '');
my $status = $client->call('FS.API.package_status', secret => $secret, pkgnum => $order->{pkgnum});
check('package_status', $status->{status}, 'not yet billed');
check('customer status', $client->call('FS.API.customer_info', secret => $secret, custnum => $custnum)->{status}, 'ordered');

my $updated = $client->call('FS.API.update_customer', secret => $secret, custnum => $custnum, night => '312 555 0002');
check('update_customer', $updated->{error}, '');
check('night', $client->call('FS.API.customer_info', secret => $secret, custnum => $custnum)->{night}, '312-555-0002');
my $credit = $client->call('FS.API.insert_credit', secret => $secret, custnum => $custnum, amount => 4.5, reason => 'Outage');
check('insert_credit', $credit->{error}, '');
my $refund = $client->call('FS.API.insert_refund', secret => $secret, paynum => $paid->{paynum}, payby => 'CASH', refund => 1.25);
check('insert_refund of a payment', $refund->{error}, '');
my $phone = $client->call('FS.API.insert_payment_phonenum', secret => $secret, phonenum => 3125550001, payby => 'CASH', paid => 1);
check('phonenum beyond 32 bits is read', $phone->{error}, 'Unknown phonenum');
check('apply', $client->call('FS.API.apply_payments_and_credits', secret => $secret, custnum => $custnum)->{error}, '');
my $listed = $client->call('FS.API.list_customer_packages', secret => $secret, custnum => $custnum);
check('list_customer_packages', scalar(@{$listed->{packages}}), 1);
check('bill_now', $client->call('FS.API.bill_now', secret => $secret, custnum => $custnum)->{error}, '');
check('balance after billing', $client->call('FS.API.customer_info', secret => $secret, custnum => $custnum)->{balance}, '-27.62');
my $locations = $client->call('FS.API.location_info', secret => $secret, custnum => $custnum);
check('location_info', scalar(@{$locations->{locations}}), 1);
my $sources = $client->call('FS.API.list_advertising_sources', secret => $secret);
check('sources', $sources->{sources}[0]{referral}, 'Direct');

my $fault = eval { $client->call('FS.API.no_such', secret => $secret); 1 } ? '' : $@;
check('unknown method faults', ($fault =~ /Failed to locate method \(no_such\)/ ? 1 : 0), 1);
print "all ok\n";
